import type { PublishedVersion } from "../actors/index.js";
import { fenToMicros, formatMicros } from "../domain/money.js";
import { versionView } from "./routes/rateCards.js";

/** Recorded as epoch milliseconds; shown in RFC 3339 like every other time the API answers with. */
const timeFields = ["frozenTime", "previousFrozenTime", "previousExpiresAt"] as const;

/**
 * What an audit entry shows of its recorded fact: the same words as the rest of the API — times in
 * RFC 3339, amounts as decimal yuan, a rate card version as GET /v1/rate-cards/{id} shows it.
 */
export function auditDetailsView(details: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...details };
  for (const field of timeFields) {
    const value = view[field];
    if (typeof value === "number") view[field] = new Date(value).toISOString();
  }
  const { amountFen } = view;
  if (typeof amountFen === "string" && /^\d+$/.test(amountFen)) {
    delete view.amountFen;
    view.unitAmount = formatMicros(fenToMicros(BigInt(amountFen)));
  }
  if (typeof view.version === "object" && view.version !== null) {
    view.version = versionView(view.version as PublishedVersion);
  }
  return view;
}
