import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Runtime } from "../actors/index.js";
import { DomainError } from "../domain/errors.js";
import {
  BillingCheckouts,
  billingCheckoutStatusView,
  checkoutChannels,
  type BillingCheckout,
} from "./checkoutBilling.js";
import { renderBillingCheckoutPage } from "./checkoutBillingPage.js";
import { notFoundPage, renderCheckoutPage } from "./checkoutPage.js";
import { FixedWindowLimiter, rateLimited } from "./checkoutRateLimit.js";
import { limits } from "../domain/limits.js";
import { checkoutStatusView } from "./views.js";

/**
 * Starts of a payment from the public page, per client address and per invoice: each may reach a
 * channel, so a loop (a script, a stuck button) is cut off early; a buyer needs one or two. An
 * address may be a whole office behind one NAT, so it gets more. (Behind a reverse proxy every
 * buyer shares its address unless Koa's `app.proxy` is set; the per-invoice bound still holds.)
 */
const { checkoutPayWindowMs, checkoutPayPerAddressMax, checkoutPayPerInvoiceMax, checkoutPayKeysMax } =
  limits;

const payRequest = z.object({ channel: z.enum(checkoutChannels) }).strict();

/**
 * The hosted checkout: public pages by invoice id (the id is the capability, as with any hosted
 * checkout link). A top-up's page has its payment order from the start; a subscription or purchase
 * invoice's page lets the buyer choose a channel (`/pay`) first. `/status` is what the page polls;
 * `/simulate` is the sandbox's pay button.
 */
export function checkoutRoutes(runtime: Runtime): Router {
  const router = new Router({ prefix: "/checkout", sensitive: true });
  const billing = new BillingCheckouts(runtime);
  const limiter = (requestsMax: number) =>
    new FixedWindowLimiter({ windowMs: checkoutPayWindowMs, requestsMax, keysMax: checkoutPayKeysMax });
  const perAddress = limiter(checkoutPayPerAddressMax);
  const perInvoice = limiter(checkoutPayPerInvoiceMax);

  /** The billing invoice behind the id, or null when the id is not one (a top-up's, or unknown). */
  const findBilling = async (ctx: Context): Promise<BillingCheckout | null> => {
    const ref = await billing.ref(String(ctx.params.invoiceId ?? ""));
    if (!ref) return null;
    const found = await billing.read(ref);
    if (!found) throw new DomainError("invoice_not_found", "no such checkout");
    return found;
  };

  router.get("/:invoiceId", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/html; charset=utf-8";
    const invoiceId = ctx.params.invoiceId ?? "";
    const ref = await billing.ref(invoiceId);
    if (ref) {
      const found = await billing.read(ref);
      if (found) {
        ctx.body = await renderBillingCheckoutPage(found, ref.env === "test");
        return;
      }
    } else {
      const found = await runtime.payments.checkout(invoiceId);
      if (found) {
        ctx.body = await renderCheckoutPage(found, found.ref.env === "test");
        return;
      }
    }
    ctx.status = 404;
    ctx.body = notFoundPage();
  });

  router.get("/:invoiceId/status", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const found = await findBilling(ctx);
    if (found) {
      ctx.body = billingCheckoutStatusView(found);
      return;
    }
    const topUp = await runtime.payments.checkout(ctx.params.invoiceId ?? "");
    if (!topUp) throw new DomainError("invoice_not_found", "no such checkout");
    ctx.body = checkoutStatusView(topUp);
  });

  router.post(
    "/:invoiceId/pay",
    rateLimited(perAddress, (ctx) => ctx.ip),
    rateLimited(perInvoice, (ctx) => String(ctx.params.invoiceId)),
    async (ctx) => {
      const found = await findBilling(ctx);
      if (!found) {
        throw new DomainError("invoice_not_found", "only a subscription or purchase invoice is paid here");
      }
      const { channel } = payRequest.parse(ctx.request.body ?? {});
      const paid = await billing.pay(found, channel);
      const payment = paid.attempt?.payment.context;
      ctx.set("Cache-Control", "no-store");
      ctx.body = {
        ...billingCheckoutStatusView(paid),
        channel: payment?.channel ?? null,
        expiresAt: payment ? new Date(payment.expiresAt).toISOString() : null,
        action: payment?.action ?? null,
      };
    },
  );

  router.post("/:invoiceId/simulate", async (ctx) => {
    const found = await runtime.payments.checkout(ctx.params.invoiceId ?? "");
    if (!found) throw new DomainError("invoice_not_found", "no such checkout");
    const result = await runtime.payments.simulate(found.ref.env, null, found.ref.invoiceId, "succeeded");
    const billed = await findBilling(ctx);
    ctx.body = billed
      ? billingCheckoutStatusView(billed)
      : checkoutStatusView({ ...result, checkoutUrl: found.checkoutUrl });
  });

  return router;
}
