import type { Runtime } from "../../actors/index.js";
import { merchantOf } from "../auth.js";
import { operation, type Operation } from "../operation.js";
import { balance } from "../schemas.js";
import { balanceView } from "../views.js";

export function balanceOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "retrieveBalance",
      method: "get",
      path: "/v1/balance",
      summary:
        "The merchant's balances per currency, folded from the ledger's postings: payable (net of channel and platform fees), unapplied payments, prepaid credit sold, usage revenue and promotions.",
      tag: "Balance",
      auth: "merchant",
      response: balance,
      status: 200,
      handle: async (ctx) => {
        const { env, merchantId } = merchantOf(ctx);
        return {
          status: 200,
          body: balanceView(env, merchantId, await runtime.balances.read(env, merchantId)),
        };
      },
    }),
  ];
}
