import Router from "@koa/router";
import type { Runtime } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";
import { notFoundPage, renderCheckoutPage } from "./checkoutPage.js";
import { checkoutStatusView } from "./views.js";

/**
 * The hosted checkout: public pages by invoice id (the id is the capability, as with any hosted
 * checkout link). `/status` is what the page polls; `/simulate` is the sandbox's pay button.
 */
export function checkoutRoutes(runtime: Runtime): Router {
  const router = new Router({ prefix: "/checkout" });

  router.get("/:invoiceId", async (ctx) => {
    const found = await runtime.payments.checkout(ctx.params.invoiceId ?? "");
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/html; charset=utf-8";
    if (!found) {
      ctx.status = 404;
      ctx.body = notFoundPage();
      return;
    }
    ctx.body = await renderCheckoutPage(found, found.ref.env === "test");
  });

  router.get("/:invoiceId/status", async (ctx) => {
    const found = await runtime.payments.checkout(ctx.params.invoiceId ?? "");
    if (!found) throw new DomainError("invoice_not_found", "no such checkout");
    ctx.set("Cache-Control", "no-store");
    ctx.body = checkoutStatusView(found);
  });

  router.post("/:invoiceId/simulate", async (ctx) => {
    const found = await runtime.payments.checkout(ctx.params.invoiceId ?? "");
    if (!found) throw new DomainError("invoice_not_found", "no such checkout");
    const result = await runtime.payments.simulate(found.ref.env, null, found.ref.invoiceId, "succeeded");
    ctx.body = checkoutStatusView({ ...result, checkoutUrl: found.checkoutUrl });
  });

  return router;
}
