/** Who made a change: an API key (by environment and a short hash) or the platform admin. */
export interface Actor {
  kind: "api_key" | "admin";
  env?: string;
  keyId?: string;
}

/** The entity whose index lists a merchant's configuration changes in one environment. */
export const auditEntity = (env: string, merchantId: string) => `audit:${env}:${merchantId}`;
