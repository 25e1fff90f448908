import { createDocument, type ZodOpenApiPathsObject } from "zod-openapi";
import { eventWebhooks } from "./eventSchemas.js";
import type { Operation } from "./operation.js";
import { problem } from "./schemas.js";

/** The OpenAPI 3.1 document, generated from the same operations and zod schemas that serve requests. */
export function openApiDocument(operations: readonly Operation[]): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) {
    const problemResponse = {
      description: "An error",
      content: { "application/problem+json": { schema: problem } },
    };
    const mutating = op.method !== "get";
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        operationId: op.operationId,
        summary: op.summary,
        tags: [op.tag],
        security: [{ [op.auth === "admin" ? "adminToken" : "apiKey"]: [] }],
        requestParams: {
          ...(op.params ? { path: op.params } : {}),
          ...(op.query ? { query: op.query } : {}),
        },
        ...(mutating
          ? {
              parameters: [
                {
                  name: "Idempotency-Key",
                  in: "header",
                  required: false,
                  description: "Makes retries safe: the same key and body replay the first response.",
                  schema: { type: "string", maxLength: 255 },
                },
              ],
            }
          : {}),
        ...(op.body ? { requestBody: { content: { "application/json": { schema: op.body } } } } : {}),
        responses: {
          [String(op.status)]: {
            description: "Success",
            content: { [op.responseType ?? "application/json"]: { schema: op.response } },
          },
          default: problemResponse,
        },
      },
    };
  }
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "BuffMoney API",
      version: "1.0.0",
      description:
        "Metering, prepaid wallets and CNY collection for AI products selling into China, on one append-only ledger.",
    },
    servers: [{ url: "http://localhost:4000" }],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "bm_test_… (sandbox) or bm_live_… (live)" },
        adminToken: { type: "http", scheme: "bearer", description: "The platform admin token" },
      },
    },
    paths,
    webhooks: eventWebhooks(),
  });
}
