import type { Metric, Runtime } from "../../actors/index.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { createMetricRequest, metric, metricList } from "../schemas.js";

const metricView = (m: Metric) => ({
  object: "metric" as const,
  key: m.key,
  name: m.name,
  unit: m.unit,
  builtIn: m.builtIn,
});

export function metricOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "createMetric",
      method: "post",
      path: "/v1/metrics",
      summary: "Define a custom metric beside the five built-in ones.",
      tag: "Usage",
      auth: "merchant",
      body: createMetricRequest,
      response: metric,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = (created: Metric) => ({ status: 201, body: metricView(created) });
        return render(
          await runtime.metrics.create(env, merchantId, body, actorOf(ctx), storedWith(ctx, render)),
        );
      },
    }),
    operation({
      operationId: "listMetrics",
      method: "get",
      path: "/v1/metrics",
      summary: "The built-in metrics and your custom ones.",
      tag: "Usage",
      auth: "merchant",
      response: metricList,
      status: 200,
      handle: async (ctx) => {
        const { env, merchantId } = merchantOf(ctx);
        return {
          status: 200,
          body: { object: "list", data: (await runtime.metrics.list(env, merchantId)).map(metricView) },
        };
      },
    }),
  ];
}
