/** Sandbox ("test") and live are separate ledgers; every record, key and account names one of them. */
export type Environment = "test" | "live";

export const environments: readonly Environment[] = ["test", "live"];
