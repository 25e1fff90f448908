import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import {
  addressRefusal,
  bareHostname,
  webhookUrlRefusal,
  type WebhookUrlPolicy,
} from "../../domain/webhookUrls.js";

/** The error of a connection refused by the policy: nothing was sent. */
export const addressNotAllowed = "ERR_WEBHOOK_ADDRESS_NOT_ALLOWED";

function refusedError(reason: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`webhook address not allowed: ${reason}`);
  error.code = addressNotAllowed;
  return error;
}

const refusalOf = (addresses: readonly LookupAddress[], policy: WebhookUrlPolicy) => {
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal !== null) return refusal;
  }
  return null;
};

/**
 * A `lookup` for `http.request` that resolves the host, refuses it when any of its addresses is not
 * allowed, and hands the checked addresses to the connection: the address checked is the address
 * connected to (DNS answering differently a moment later changes nothing).
 */
export function guardedLookup(policy: WebhookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(
      hostname,
      { family: options.family ?? 0, hints: options.hints ?? 0, all: true },
      (error, found) => {
        if (error) return callback(error, "", 0);
        const refusal = refusalOf(found, policy);
        if (refusal !== null) return callback(refusedError(refusal), "", 0);
        const first = found[0];
        if (!first) return callback(refusedError(`${hostname} has no address`), "", 0);
        if (options.all) callback(null, found);
        else callback(null, first.address, first.family);
      },
    );
  };
}

/**
 * Why webhooks may not go to `url` (its scheme, its host, each address its host resolves to);
 * null when they may. A host that does not resolve now is not refused: every request checks again.
 */
export async function resolvedUrlRefusal(url: string, policy: WebhookUrlPolicy): Promise<string | null> {
  const refusal = webhookUrlRefusal(url, policy);
  if (refusal !== null || policy.allowPrivate) return refusal;
  const host = bareHostname(new URL(url));
  if (isIP(host)) return null;
  const found = await new Promise<LookupAddress[]>((resolve) =>
    dnsLookup(host, { all: true }, (error, addresses) => resolve(error ? [] : addresses)),
  );
  const resolved = refusalOf(found, policy);
  return resolved === null ? null : `${host} resolves to ${resolved}`;
}
