import type { RolledKey, Runtime } from "../../actors/index.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import {
  createMerchantRequest,
  merchantParams,
  merchantWithKeys,
  rolledApiKey,
  rollApiKeyRequest,
} from "../schemas.js";

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
        // A retry with the Idempotency-Key gets the keys again; at rest they stay sealed.
        const stored = (created: Awaited<ReturnType<Runtime["merchants"]["create"]>>) =>
          runtime.idempotency.sealing(render(created), ["apiKeys"]);
        const created = await runtime.merchants.create(body.name, storedWith(ctx, stored));
        return render(created);
      },
    }),
    operation({
      operationId: "rollApiKey",
      method: "post",
      path: "/v1/admin/merchants/{merchantId}/api-keys/roll",
      summary:
        "Replace a merchant's API key of one environment (shown once); the old key stops now, or after expiresInSeconds.",
      tag: "Admin",
      auth: "admin",
      params: merchantParams,
      body: rollApiKeyRequest,
      response: rolledApiKey,
      status: 201,
      handle: async (ctx, { params, body }) => {
        const render = (rolled: RolledKey) => ({
          status: 201,
          body: {
            object: "api_key" as const,
            merchantId: params.merchantId,
            environment: rolled.environment,
            apiKey: rolled.apiKey,
            previousKeyExpiresAt: new Date(rolled.previousKeyExpiresAt).toISOString(),
          },
        });
        const rolled = await runtime.merchants.rollKey(
          params.merchantId,
          body.environment,
          body.expiresInSeconds ?? 0,
          storedWith(ctx, (r: RolledKey) => runtime.idempotency.sealing(render(r), ["apiKey"])),
        );
        return render(rolled);
      },
    }),
  ];
}
