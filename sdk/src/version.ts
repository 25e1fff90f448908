/** Sent as `BuffMoney-Sdk: ts/<version>`; keep in step with sdk/package.json. */
export const sdkVersion = "0.1.0";
