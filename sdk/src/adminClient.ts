import { Transport } from "./http.js";
import { transportConfig, type ConnectionOptions } from "./options.js";
import { Merchants } from "./resources/merchants.js";

export interface AdminClientOptions extends ConnectionOptions {
  /** The operator's admin token (not a merchant API key). */
  adminToken: string;
}

/** The operator's client: onboards merchants and hands out their API keys. */
export class BuffMoneyAdminClient {
  readonly merchants: Merchants;

  constructor(options: AdminClientOptions) {
    if (typeof options.adminToken !== "string" || options.adminToken.trim() === "") {
      throw new TypeError("BuffMoney adminToken must be a non-empty string.");
    }
    this.merchants = new Merchants(new Transport(transportConfig(options.adminToken, options)));
  }
}
