import { auditEntity, type Runtime } from "../../actors/index.js";
import { merchantOf } from "../auth.js";
import { operation, type Operation } from "../operation.js";
import { listPage } from "../pagination.js";
import { auditList, listQuery } from "../schemas.js";
import { auditDetailsView } from "../auditDetails.js";

export function auditOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "listAuditLog",
      method: "get",
      path: "/v1/audit-log",
      summary:
        "Configuration changes (rate cards, versions, assignments, metrics): who, when, what. Newest first.",
      tag: "Audit",
      auth: "merchant",
      query: listQuery,
      response: auditList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const records = await runtime.readEntityRecords(auditEntity(env, merchantId), {
          limit: query.limit,
          ...(query.startingAfter !== undefined ? { beforeSeq: Number(query.startingAfter) } : {}),
        });
        const data = records.records.map((record) => {
          const fact = record.facts[0] ?? { type: "unknown" };
          const { type, by, ...details } = fact as { type: string; by?: Record<string, unknown> };
          return {
            object: "audit_entry" as const,
            sequence: record.seq,
            at: new Date(record.at).toISOString(),
            action: type,
            entity: record.entity,
            by: by ?? {},
            details: auditDetailsView(details),
          };
        });
        return { status: 200, body: listPage(data, records.hasMore) };
      },
    }),
  ];
}
