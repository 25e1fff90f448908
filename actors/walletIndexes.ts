import type { WalletFact } from "../machines/walletTypes.js";
import type { IndexOp } from "../wal/record.js";

/** A reservation as the API reads it; kept current by index entries written with each wallet record. */
export interface ReservationEntry {
  id: string;
  customerId: string;
  env: string;
  merchantId: string;
  status: "active" | "captured" | "released" | "expired";
  amountMicros: string;
  capturedMicros: string | null;
  expiresAt: number;
}

/** A durable timer: when `expiresAt` passes, the sweeper sends `wallet.expire`. */
export interface ExpiryTimer {
  reservationId: string;
  customerId: string;
  env: string;
  merchantId: string;
}

/** The status each reservation fact leaves its reservation in. */
export const reservationStatusOf = {
  "wallet.reserved": "active",
  "wallet.captured": "captured",
  "wallet.released": "released",
  "wallet.expired": "expired",
} as const satisfies Partial<Record<WalletFact["type"], ReservationEntry["status"]>>;

export const reservationKey = (id: string) => `x!r!${id}`;
export const timerPrefix = "x!t!";
export const timerKey = (dueAt: number, reservationId: string) =>
  `${timerPrefix}${dueAt.toString().padStart(15, "0")}!${reservationId}`;
export const timerRangeEnd = (now: number) => `${timerPrefix}${(now + 1).toString().padStart(15, "0")}`;

/** Where a reservation's expiry timer lives: real time (`x!t!`), or a sandbox test clock's timers. */
export interface ExpiryTimerPlace {
  key(dueAt: number, reservationId: string): string;
  value(due: ExpiryTimer): string;
}

export const realTimeExpiry: ExpiryTimerPlace = {
  key: timerKey,
  value: (due) => JSON.stringify(due),
};

export function walletIndexOps(
  fact: WalletFact,
  owner: { customerId: string; env: string; merchantId: string },
  place: ExpiryTimerPlace = realTimeExpiry,
): IndexOp[] {
  const id = fact.reservationId;
  const expiresAt = fact.expiresAt;
  if (id === undefined || expiresAt === undefined) return [];
  const entry = (
    status: ReservationEntry["status"],
    amountMicros: string,
    capturedMicros: string | null,
  ) => ({
    type: "put" as const,
    key: reservationKey(id),
    value: JSON.stringify({
      id,
      ...owner,
      status,
      amountMicros,
      capturedMicros,
      expiresAt,
    } satisfies ReservationEntry),
  });
  const timer = place.key(expiresAt, id);
  switch (fact.type) {
    case "wallet.reserved": {
      const due: ExpiryTimer = { reservationId: id, ...owner };
      return [entry("active", fact.amountMicros, null), { type: "put", key: timer, value: place.value(due) }];
    }
    case "wallet.captured": {
      const original = (BigInt(fact.amountMicros) + BigInt(fact.releasedMicros ?? "0")).toString();
      return [entry("captured", original, fact.amountMicros), { type: "del", key: timer }];
    }
    case "wallet.released":
      return [entry("released", fact.amountMicros, null), { type: "del", key: timer }];
    case "wallet.expired":
      return [entry("expired", fact.amountMicros, null), { type: "del", key: timer }];
    default:
      return [];
  }
}
