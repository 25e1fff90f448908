import type { RefundResult, Runtime, TopUpResult } from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
import { positiveFen } from "../amounts.js";
import { merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import {
  externalIdParams,
  invoice,
  invoiceParams,
  refund,
  refundRequest,
  simulatePaymentRequest,
  topUp,
  topUpRequest,
} from "../schemas.js";
import { readInvoice } from "./billing.js";
import { invoiceView, requestedRefundView, topUpView } from "../views.js";

export function paymentOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "createTopUp",
      method: "post",
      path: "/v1/customers/{externalId}/wallet/top-ups",
      summary:
        "Top up a customer's wallet through WeChat Pay or Alipay: opens an invoice and a payment order, and returns the hosted checkout URL. The wallet is credited when the channel confirms the payment.",
      tag: "Collection",
      auth: "merchant",
      params: externalIdParams,
      body: topUpRequest,
      response: topUp,
      status: 201,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const amountFen = positiveFen(body.amount);
        const customer = await runtime.customers.require(env, merchantId, params.externalId);
        if (body.channel === "wechat_jsapi" && body.payerOpenId === undefined) {
          throw new DomainError("invalid_request", "wechat_jsapi needs the payer's payerOpenId");
        }
        const render = (result: TopUpResult) => ({ status: 201, body: topUpView(result) });
        const clientIp = body.clientIp ?? (body.channel === "wechat_h5" ? ctx.ip : undefined);
        const result = await runtime.payments.topUp(
          customer,
          {
            amountFen,
            channel: body.channel,
            ...(body.payerOpenId !== undefined ? { payerOpenId: body.payerOpenId } : {}),
            ...(clientIp ? { clientIp } : {}),
            ...(body.returnUrl !== undefined ? { returnUrl: body.returnUrl } : {}),
          },
          storedWith(ctx, render),
        );
        return render(result);
      },
    }),
    operation({
      operationId: "retrieveInvoice",
      method: "get",
      path: "/v1/invoices/{invoiceId}",
      summary: "Retrieve an invoice with its payment (status, fees, net) and its refunds.",
      tag: "Collection",
      auth: "merchant",
      params: invoiceParams,
      response: invoice,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return {
          status: 200,
          body: invoiceView(await readInvoice(runtime, env, merchantId, params.invoiceId)),
        };
      },
    }),
    operation({
      operationId: "createRefund",
      method: "post",
      path: "/v1/refunds",
      summary:
        "Refund a paid top-up in part or whole through its channel. The credit leaves the wallet at once (refused with insufficient_balance if it was spent); the refund is pending until the channel confirms it.",
      tag: "Collection",
      auth: "merchant",
      body: refundRequest,
      response: refund,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const amountFen = positiveFen(body.amount);
        const render = (result: RefundResult) => ({ status: 201, body: requestedRefundView(result) });
        const result = await runtime.payments
          .refund(
            env,
            merchantId,
            { invoiceId: body.invoiceId, paymentId: body.paymentId, amountFen, reason: body.reason ?? null },
            storedWith(ctx, render),
          )
          .catch(async (error: unknown) => {
            // A subscription or purchase invoice that exists but was never paid: nothing to refund.
            const unpaid =
              error instanceof DomainError &&
              error.code === "invoice_not_found" &&
              body.paymentId === undefined &&
              (await runtime.billing.invoiceRef(env, merchantId, body.invoiceId)) !== undefined;
            if (unpaid)
              throw new DomainError("invoice_not_paid", `invoice ${body.invoiceId} has no payment to refund`);
            throw error;
          });
        return render(result);
      },
    }),
    operation({
      operationId: "simulatePayment",
      method: "post",
      path: "/v1/sandbox/invoices/{invoiceId}/simulate-payment",
      summary:
        "Sandbox only: act as the paying customer at the channel simulator. The money arrives through the channel's signed callback, like a real payment.",
      tag: "Sandbox",
      auth: "merchant",
      params: invoiceParams,
      body: simulatePaymentRequest,
      response: invoice,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        await runtime.payments.simulate(env, merchantId, params.invoiceId, body.outcome);
        return {
          status: 200,
          body: invoiceView(await readInvoice(runtime, env, merchantId, params.invoiceId)),
        };
      },
    }),
  ];
}
