/** The five metrics every merchant has; merchants add their own beside them. */
export const builtInMetrics = {
  tokens_input: { name: "Input tokens", unit: "token" },
  tokens_output: { name: "Output tokens", unit: "token" },
  images: { name: "Images generated", unit: "image" },
  agent_runs: { name: "Agent runs", unit: "run" },
  storage_gb_hours: { name: "Storage", unit: "GB-hour" },
} as const;

export type BuiltInMetric = keyof typeof builtInMetrics;

export const metricKeyPattern = /^[a-z][a-z0-9_]{0,63}$/;

export function isBuiltInMetric(key: string): key is BuiltInMetric {
  return Object.hasOwn(builtInMetrics, key);
}
