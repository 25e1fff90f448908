import type { Runtime } from "../../actors/index.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { createMerchantRequest, merchantWithKeys } from "../schemas.js";

export function adminOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "createMerchant",
      method: "post",
      path: "/v1/admin/merchants",
      summary: "Create a merchant and its sandbox and live API keys (shown once).",
      tag: "Admin",
      auth: "admin",
      body: createMerchantRequest,
      response: merchantWithKeys,
      status: 201,
      handle: async (ctx, { body }) => {
        const render = (created: Awaited<ReturnType<Runtime["merchants"]["create"]>>) => ({
          status: 201,
          body: {
            id: created.merchant.id,
            object: "merchant" as const,
            name: created.merchant.name,
            createdAt: new Date(created.merchant.createdAt).toISOString(),
            apiKeys: created.apiKeys,
          },
        });
        const created = await runtime.merchants.create(body.name, storedWith(ctx, render));
        return render(created);
      },
    }),
  ];
}
