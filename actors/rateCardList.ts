import type { Environment } from "../domain/environment.js";
import type { Log } from "../wal/log.js";
import { keys, padSeq } from "../wal/keys.js";
import type { IndexOp } from "../wal/record.js";

/**
 * The merchant's rate cards by the sequence of the record that created each (the list cursor):
 * `x!rcl!<env>!<merchant>!<seq>` → the card's id, written in the creating record's batch.
 */
export const rateCardListKey = (env: Environment, merchantId: string, seq: number) =>
  `${rateCardListPrefix(env, merchantId)}${padSeq(seq)}`;
export const rateCardListPrefix = (env: Environment, merchantId: string) => `x!rcl!${env}!${merchantId}!`;

export const rateCardListOp = (env: Environment, merchantId: string, seq: number, id: string): IndexOp => ({
  type: "put",
  key: rateCardListKey(env, merchantId, seq),
  value: id,
});

/** Set once every rate card of the ledger has its list entry. */
const listedKey = keys.meta("rate_card_list");
const cardsRange = { gt: "x!rc!", lt: "x!rc!~" } as const;
const listOpsPerBatchMax = 1_000;

/**
 * Lists the rate cards created before the list index existed, once per ledger: each gets the entry
 * its creating record (the card entity's first) would have written. Entries written twice are the
 * same entries, so a crash part way through only repeats work.
 */
export async function listEarlierRateCards(log: Log): Promise<number> {
  if ((await log.get(listedKey)) !== undefined) return 0;
  let ops: IndexOp[] = [];
  let listed = 0;
  for await (const stored of log.db.values(cardsRange)) {
    const card = JSON.parse(stored) as { id: string; env: Environment; merchantId: string };
    const [createdSeq] = await log.entitySeqs(`ratecard:${card.id}`, { limit: 1 });
    if (createdSeq === undefined) throw new Error(`rate card ${card.id} has no record in the ledger`);
    ops.push(rateCardListOp(card.env, card.merchantId, createdSeq, card.id));
    listed += 1;
    if (ops.length >= listOpsPerBatchMax) {
      await log.writeOps(ops, { sync: true });
      ops = [];
    }
  }
  await log.writeOps([...ops, { type: "put", key: listedKey, value: "1" }], { sync: true });
  return listed;
}
