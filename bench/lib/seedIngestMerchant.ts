import type { Runtime } from "../../actors/runtime.js";
import { ingestRatingPrices } from "./ingestWorkload.js";

/**
 * Straight into a runtime (no HTTP): a merchant with the ingest workload's rate card, and prepaid
 * customers `u0`…`u<count-1>` on it, each granted ¥100,000.
 */
export async function seedIngestMerchant(runtime: Runtime, name: string, count: number) {
  const actor = { kind: "admin" as const };
  const { merchant, apiKeys } = await runtime.merchants.create(name);
  const card = await runtime.rateCards.create(
    "test",
    merchant.id,
    { name: "AI usage", currency: "CNY", prices: ingestRatingPrices } as never,
    actor,
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const created = await runtime.customers.create("test", merchant.id, {
          externalId: `u${next++}`,
          name: null,
          email: null,
        });
        const customer = await runtime.customers.update(
          created,
          { rateCardId: card.id, billingMode: "prepaid" },
          actor,
          async () => {},
        );
        await runtime.wallets.execute(
          customer,
          ({ at, seq }: { at: number; seq: number }) =>
            ({
              type: "wallet.grant",
              amountMicros: 100_000_000_000n,
              reason: "bench",
              transactionId: `wtx_grant_${seq}`,
              at,
            }) as never,
        );
      }
    }),
  );
  return { merchant, apiKeys };
}
