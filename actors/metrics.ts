import type { Environment } from "../domain/environment.js";
import { DomainError } from "../domain/errors.js";
import { limits } from "../domain/limits.js";
import { builtInMetrics, isBuiltInMetric } from "../domain/metrics.js";
import type { Log } from "../wal/log.js";
import type { CommittedRecord, IndexOp } from "../wal/record.js";
import { auditEntity, type Actor } from "./audit.js";

export interface Metric {
  key: string;
  name: string;
  unit: string;
  builtIn: boolean;
}

const metricIndexPrefix = (env: string, merchantId: string) => `x!mt!${env}!${merchantId}!`;

/** The built-in AI metrics and each merchant's custom ones (per environment). */
export class MetricDirectory {
  private readonly cache = new Map<string, Map<string, Metric>>();

  constructor(
    private readonly log: Log,
    private readonly onCommitted: (record: CommittedRecord) => void,
  ) {}

  async list(env: Environment, merchantId: string): Promise<Metric[]> {
    const custom = await this.custom(env, merchantId);
    const builtIn = Object.entries(builtInMetrics).map(([key, m]) => ({ key, ...m, builtIn: true }));
    return [...builtIn, ...custom.values()];
  }

  async exists(env: Environment, merchantId: string, key: string): Promise<boolean> {
    return isBuiltInMetric(key) || (await this.custom(env, merchantId)).has(key);
  }

  async create(
    env: Environment,
    merchantId: string,
    input: { key: string; name: string; unit: string },
    actor: Actor,
    idempotency?: (metric: Metric) => { scope: string; op: IndexOp },
  ): Promise<Metric> {
    const custom = await this.custom(env, merchantId);
    if (isBuiltInMetric(input.key) || custom.has(input.key)) {
      throw new DomainError("metric_exists", `metric ${input.key} already exists`);
    }
    if (custom.size >= limits.customMetricsPerMerchantMax) {
      throw new DomainError(
        "invalid_request",
        `at most ${limits.customMetricsPerMerchantMax} custom metrics`,
      );
    }
    const metric: Metric = { ...input, builtIn: false };
    const ops: IndexOp[] = [
      { type: "put", key: metricIndexPrefix(env, merchantId) + input.key, value: JSON.stringify(metric) },
    ];
    const idem = idempotency?.(metric);
    if (idem) ops.push(idem.op);
    custom.set(metric.key, metric);
    try {
      const record = await this.log.append(
        {
          env,
          merchantId,
          entity: `metric:${env}:${merchantId}:${metric.key}`,
          command: { type: "metric.create", ...input, by: actor },
          facts: [{ type: "metric.created", ...input, by: actor }],
          postings: [],
          keys: idem ? [idem.scope] : [],
          touches: [auditEntity(env, merchantId)],
        },
        this.log.now(),
        ops,
      );
      this.onCommitted(record);
    } catch (error) {
      custom.delete(metric.key);
      throw error;
    }
    return metric;
  }

  private async custom(env: Environment, merchantId: string): Promise<Map<string, Metric>> {
    const cacheKey = `${env}!${merchantId}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const prefix = metricIndexPrefix(env, merchantId);
    const loaded = new Map<string, Metric>();
    for await (const value of this.log.db.values({ gte: prefix, lt: prefix + "~" })) {
      const metric = JSON.parse(value) as Metric;
      loaded.set(metric.key, metric);
    }
    this.cache.set(cacheKey, loaded);
    return loaded;
  }
}
