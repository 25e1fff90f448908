import { and, assign, not, setup } from "xstate";
import type { WalletCommand, WalletContext, WalletRejection } from "./walletTypes.js";

/**
 * The prepaid wallet statechart. Pure: time and ids arrive inside commands. A command is either
 * accepted (context changes; walletFactOf() describes what happened) or answered by exactly one
 * `reject` marker with a stable code, and then nothing changes.
 */
export const walletMachineVersion = 4;

export const reservationsPerWalletMax = 1_000;

export const availableMicros = (c: WalletContext): bigint => c.balanceMicros - c.reservedMicros;

const held = (context: WalletContext, event: WalletCommand) =>
  "reservationId" in event ? context.reservations[event.reservationId] : undefined;

function withoutReservation(context: WalletContext, id: string): Partial<WalletContext> {
  const reservation = context.reservations[id];
  if (reservation === undefined) throw new Error(`reservation ${id} is not held (a guard was skipped)`);
  const reservations = { ...context.reservations };
  delete reservations[id];
  return { reservedMicros: context.reservedMicros - reservation.amountMicros, reservations };
}

/** Usage counters live two billing periods (late events may arrive 35 days after the fact); older ones go. */
export const usageCounterRetentionMs = 70 * 24 * 3600 * 1000;

/**
 * The counters still needed once an event that occurred at `occurredAt` is counted. Measured from the
 * event's own time, not the ledger's: a sandbox customer on a test clock months behind the ledger
 * counts its usage in the clock's periods, and those must not look expired.
 */
export function withoutOldPeriods(usage: Record<string, string>, occurredAt: number): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(usage)) {
    const periodStart = Number(key.slice(key.lastIndexOf("@") + 1));
    if (occurredAt - periodStart < usageCounterRetentionMs) kept[key] = value;
  }
  return kept;
}

const reject = (code: WalletRejection) => ({ type: "reject", params: { code } }) as const;

/** An empty wallet: the machine's initial context and the kind's. */
export function initialWalletContext(): WalletContext {
  return { balanceMicros: 0n, reservedMicros: 0n, reservations: {}, usage: {} };
}

export const walletMachine = setup({
  types: { context: {} as WalletContext, events: {} as WalletCommand },
  actions: {
    // A marker read from transition()'s action list; it never runs.
    reject: (_, _params: { code: WalletRejection }) => {},
    credit: assign(({ context, event }) =>
      event.type === "wallet.grant" ||
      event.type === "wallet.top_up" ||
      event.type === "wallet.restore_refund" ||
      event.type === "wallet.receive_credit"
        ? { balanceMicros: context.balanceMicros + event.amountMicros }
        : {},
    ),
    takeBack: assign(({ context, event }) =>
      event.type === "wallet.refund_top_up"
        ? { balanceMicros: context.balanceMicros - event.amountMicros }
        : {},
    ),
    debit: assign(({ context, event }) =>
      event.type === "wallet.debit" ? { balanceMicros: context.balanceMicros - event.amountMicros } : {},
    ),
    hold: assign(({ context, event }) =>
      event.type === "wallet.reserve"
        ? {
            reservedMicros: context.reservedMicros + event.amountMicros,
            reservations: {
              ...context.reservations,
              [event.reservationId]: { amountMicros: event.amountMicros, expiresAt: event.expiresAt },
            },
          }
        : {},
    ),
    capture: assign(({ context, event }) => {
      if (event.type !== "wallet.capture") return {};
      const reservation = held(context, event);
      const captured = event.amountMicros ?? reservation?.amountMicros ?? 0n;
      return {
        ...withoutReservation(context, event.reservationId),
        balanceMicros: context.balanceMicros - captured,
      };
    }),
    rateUsage: assign(({ context, event }) => {
      if (event.type !== "wallet.charge" && event.type !== "wallet.accrue") return {};
      const usage = withoutOldPeriods(context.usage, event.detail.occurredAt);
      usage[event.usageKey] = event.cumulativeAfter;
      return event.type === "wallet.charge"
        ? { usage, balanceMicros: context.balanceMicros - event.amountMicros }
        : { usage };
    }),
    unhold: assign(({ context, event }) =>
      "reservationId" in event ? withoutReservation(context, event.reservationId) : {},
    ),
  },
  guards: {
    hasSufficientBalance: ({ context, event }) =>
      (event.type === "wallet.debit" ||
        event.type === "wallet.reserve" ||
        event.type === "wallet.refund_top_up") &&
      availableMicros(context) >= event.amountMicros,
    staysAboveFloor: ({ context, event }) =>
      event.type === "wallet.charge" && availableMicros(context) - event.amountMicros >= event.floorMicros,
    hasReservationRoom: ({ context }) => Object.keys(context.reservations).length < reservationsPerWalletMax,
    isReservationHeld: ({ context, event }) => held(context, event) !== undefined,
    hasReservationExpired: ({ context, event }) => {
      const reservation = held(context, event);
      return reservation !== undefined && event.at >= reservation.expiresAt;
    },
    isCaptureWithinReservation: ({ context, event }) => {
      const reservation = held(context, event);
      return (
        event.type === "wallet.capture" &&
        reservation !== undefined &&
        (event.amountMicros ?? reservation.amountMicros) <= reservation.amountMicros
      );
    },
  },
}).createMachine({
  id: "wallet",
  context: () => initialWalletContext(),
  initial: "active",
  on: {
    "wallet.grant": { actions: "credit" },
    // Paid money is never refused: a frozen wallet is credited too, and a refund may take it back.
    "wallet.top_up": { actions: "credit" },
    "wallet.restore_refund": { actions: "credit" },
    "wallet.receive_credit": { actions: "credit" },
    "wallet.refund_top_up": [
      { guard: "hasSufficientBalance", actions: "takeBack" },
      { actions: reject("insufficient_balance") },
    ],
    "wallet.release": [
      { guard: "isReservationHeld", actions: "unhold" },
      { actions: reject("reservation_not_found") },
    ],
    "wallet.expire": [
      { guard: and(["isReservationHeld", "hasReservationExpired"]), actions: "unhold" },
      { guard: "isReservationHeld", actions: reject("reservation_not_expired") },
      { actions: reject("reservation_not_found") },
    ],
  },
  states: {
    active: {
      on: {
        "wallet.debit": [
          { guard: "hasSufficientBalance", actions: "debit" },
          { actions: reject("insufficient_balance") },
        ],
        "wallet.reserve": [
          { guard: not("hasReservationRoom"), actions: reject("reservations_limit_reached") },
          { guard: "hasSufficientBalance", actions: "hold" },
          { actions: reject("insufficient_balance") },
        ],
        "wallet.capture": [
          { guard: not("isReservationHeld"), actions: reject("reservation_not_found") },
          { guard: "hasReservationExpired", actions: reject("reservation_expired") },
          { guard: not("isCaptureWithinReservation"), actions: reject("capture_exceeds_reservation") },
          { actions: "capture" },
        ],
        "wallet.charge": [
          { guard: "staysAboveFloor", actions: "rateUsage" },
          { actions: reject("insufficient_balance") },
        ],
        "wallet.accrue": { actions: "rateUsage" },
        "wallet.freeze": { target: "frozen" },
        "wallet.unfreeze": { actions: reject("wallet_not_frozen") },
      },
    },
    frozen: {
      on: {
        "wallet.debit": { actions: reject("wallet_frozen") },
        "wallet.reserve": { actions: reject("wallet_frozen") },
        "wallet.capture": { actions: reject("wallet_frozen") },
        "wallet.charge": { actions: reject("wallet_frozen") },
        "wallet.accrue": { actions: reject("wallet_frozen") },
        "wallet.freeze": { actions: reject("wallet_already_frozen") },
        "wallet.unfreeze": { target: "active" },
      },
    },
  },
});
