import type { Transport } from "../http.js";
import { path } from "../path.js";
import { isoTimestampOrUndefined, type Timestamp } from "../timestamp.js";
import type { UsageSummary } from "../usageTypes.js";

export interface UsageSummaryParams {
  /** Default: the start of the current calendar month in Beijing time (UTC+8); a test clock's month. */
  from?: Timestamp | undefined;
  /** Exclusive. Default: just past 5 minutes from now, so events sent ahead of time count too. */
  to?: Timestamp | undefined;
  /** Dimension keys to group by besides the metric, e.g. `["model"]`. */
  groupBy?: readonly string[] | undefined;
}

/** A customer's metered usage, addressed by the customer's externalId. */
export class Usage {
  constructor(private readonly transport: Transport) {}

  /** Usage per metric (and `groupBy` dimensions) in a period, with free allowances used and left. */
  async summary(externalId: string, params: UsageSummaryParams = {}): Promise<UsageSummary> {
    return this.transport.request({
      method: "GET",
      path: path`/v1/customers/${externalId}/usage`,
      query: {
        from: isoTimestampOrUndefined(params.from),
        to: isoTimestampOrUndefined(params.to),
        groupBy: groupByQuery(params.groupBy),
      },
    });
  }
}

function groupByQuery(keys: readonly string[] | undefined): string | undefined {
  if (keys === undefined || keys.length === 0) return undefined;
  // The server splits the list on commas, so a key holding one would silently become two.
  const invalid = keys.find((key) => key === "" || key.includes(","));
  if (invalid !== undefined) throw new TypeError(`Invalid groupBy key ${JSON.stringify(invalid)}.`);
  return keys.join(",");
}
