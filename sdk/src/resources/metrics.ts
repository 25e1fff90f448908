import type { Transport } from "../http.js";
import type { List, Metric, RequestOptions } from "../types.js";

export interface CreateMetricParams {
  /** Lowercase letters, digits and _, starting with a letter; what usage events name in `metric`. */
  key: string;
  name: string;
  /** Default "unit". */
  unit?: string | undefined;
}

/** What usage is counted in: five built-in metrics and your own. */
export class Metrics {
  constructor(private readonly transport: Transport) {}

  async create(params: CreateMetricParams, options: RequestOptions = {}): Promise<Metric> {
    return this.transport.request({
      method: "POST",
      path: "/v1/metrics",
      body: params,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** The built-in metrics and your custom ones. */
  async list(): Promise<List<Metric>> {
    return this.transport.request({ method: "GET", path: "/v1/metrics" });
  }
}
