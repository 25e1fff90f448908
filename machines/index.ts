export { walletMachine, walletMachineVersion, availableMicros, reservationsPerWalletMax } from "./wallet.js";
export { walletFactOf } from "./walletFacts.js";
export { decide, type Decision } from "./decide.js";
export type {
  Reservation,
  WalletCommand,
  WalletContext,
  WalletFact,
  WalletFactType,
  WalletRejection,
} from "./walletTypes.js";
export { walletPostingsOf, type WalletOwner } from "./walletPostings.js";
export { walletKind, walletEntity } from "./walletKind.js";
export type { EntityKind, EntityState, RecordOwner } from "./kind.js";
