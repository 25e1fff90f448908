/** Webhook delivery over HTTP, signed per Standard Webhooks. Wired into the runtime by bin/. */
export {
  createWebhookSender,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookSenderOptions,
} from "./send.js";
export { webhookSignature } from "./sign.js";
export { guardedLookup, resolvedUrlRefusal } from "./guard.js";
