import { randomBytes } from "node:crypto";
import Router from "@koa/router";
import { renderWebhookConsolePage } from "./webhookConsolePage.js";

/**
 * The webhook console at `/webhooks`: a public page that holds no data of its own. The merchant
 * signs in with an API key in the browser, and the page calls the JSON API with it, so the page
 * itself needs no session. Its CSP lets only its own inline script and style run, and only talk
 * to this server.
 */
export function webhookConsoleRoutes(): Router {
  const router = new Router({ sensitive: true });
  router.get("/webhooks", (ctx) => {
    const nonce = randomBytes(16).toString("base64");
    ctx.set("Cache-Control", "no-store");
    ctx.set(
      "Content-Security-Policy",
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.set("Referrer-Policy", "no-referrer");
    ctx.type = "text/html; charset=utf-8";
    ctx.body = renderWebhookConsolePage(nonce);
  });
  return router;
}
