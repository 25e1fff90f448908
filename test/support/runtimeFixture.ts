import { Runtime, type Customer } from "../../actors/index.js";

export async function openRuntime(
  dataDir: string,
  options: Partial<Parameters<typeof Runtime.open>[0]> = {},
) {
  return Runtime.open({ dataDir, adminToken: "test-admin-token", startTimers: false, ...options });
}

export async function seedCustomers(runtime: Runtime, count: number, env: "test" | "live" = "test") {
  const { merchant } = await runtime.merchants.create("Fixture Merchant");
  const customers: Customer[] = [];
  for (let i = 0; i < count; i++) {
    customers.push(
      await runtime.customers.create(env, merchant.id, { externalId: `user_${i}`, name: null, email: null }),
    );
  }
  return { merchantId: merchant.id, customers };
}

let n = 0;
export const grantOf =
  (amountMicros: bigint) =>
  ({ at }: { at: number }) => ({
    type: "wallet.grant" as const,
    amountMicros,
    reason: "fixture",
    transactionId: `wtx_fixture_${++n}`,
    at,
  });

export const debitOf =
  (amountMicros: bigint) =>
  ({ at }: { at: number }) => ({
    type: "wallet.debit" as const,
    amountMicros,
    description: null,
    transactionId: `wtx_fixture_${++n}`,
    at,
  });
