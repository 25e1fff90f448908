import type { Transport } from "../http.js";
import type { AuditEntry, ListPage, PageParams } from "../types.js";

/** Configuration changes in the key's environment: who changed what, and when. */
export class AuditLog {
  constructor(private readonly transport: Transport) {}

  /** One page, newest first. */
  async list(params: PageParams = {}): Promise<ListPage<AuditEntry>> {
    return this.transport.request({
      method: "GET",
      path: "/v1/audit-log",
      query: { limit: params.limit, startingAfter: params.startingAfter },
    });
  }
}
