import type { RecordDraft } from "../../wal/index.js";

/** A small record draft with balanced postings, for log-level tests. */
export function draft(n: number, entity = `wallet:cus_${n % 7}`): RecordDraft {
  return {
    env: "test",
    merchantId: "mer_1",
    entity,
    command: { type: "test.command", n },
    facts: [{ type: "test.happened", n }],
    postings: [
      { account: "test:a", currency: "CNY", amountMicros: String(-n) },
      { account: "test:b", currency: "CNY", amountMicros: String(n) },
    ],
    keys: [],
  };
}
