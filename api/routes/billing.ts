import type { Runtime } from "../../actors/index.js";
import type { PurchaseSnapshot, SubscriptionSnapshot } from "../../actors/billing.js";
import type { RefundResult, TopUpResult } from "../../actors/index.js";
import type { Environment } from "../../domain/environment.js";
import { DomainError } from "../../domain/errors.js";
import { merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { listPageAt, pageNewestFirst } from "../pagination.js";
import {
  cancelSubscriptionRequest,
  changePlanRequest,
  createPurchaseRequest,
  createSubscriptionRequest,
  entitlementCheck,
  entitlementList,
  entitlementParams,
  externalIdParams,
  invoiceList,
  invoiceListQuery,
  invoiceParams,
  payInvoiceRequest,
  purchase,
  purchaseParams,
  refund,
  refundPurchaseRequest,
  subscription,
  subscriptionList,
  subscriptionListQuery,
  purchaseList,
  purchaseListQuery,
  subscriptionParams,
  invoicePayment,
} from "../schemas.js";
import {
  entitlementView,
  invoiceView,
  purchaseView,
  requestedRefundView,
  subscriptionView,
  invoicePaymentView,
  type InvoiceReading,
} from "../views.js";

/** Any invoice by id: a billing invoice with its latest payment attempt, or a top-up receipt. */
export async function readInvoice(
  runtime: Runtime,
  env: Environment,
  merchantId: string,
  invoiceId: string,
): Promise<InvoiceReading> {
  const ref = await runtime.billing.invoiceRef(env, merchantId, invoiceId);
  if (!ref) {
    const topUp = await runtime.payments.invoice(env, merchantId, invoiceId);
    return {
      invoice: topUp.invoice,
      customerExternalId: topUp.ref.customerExternalId,
      checkoutUrl: topUp.checkoutUrl,
      attempt: topUp,
    };
  }
  return {
    invoice: await runtime.billing.invoice(invoiceId),
    customerExternalId: ref.customerExternalId,
    checkoutUrl: runtime.payments.checkoutUrl(invoiceId),
    attempt: await runtime.payments.attempt(invoiceId),
  };
}

export function billingOperations(runtime: Runtime): Operation[] {
  const renderSubscription = (status: number) => (result: SubscriptionSnapshot) => ({
    status,
    body: subscriptionView(result),
  });
  const renderPurchase = (status: number) => (result: PurchaseSnapshot) => ({
    status,
    body: purchaseView(result),
  });
  return [
    operation({
      operationId: "createSubscription",
      method: "post",
      path: "/v1/subscriptions",
      summary:
        "Subscribe a customer to a recurring price. The subscription is incomplete until its first invoice (finalized now, with a hosted checkout link) is paid; then it renews monthly from this moment.",
      tag: "Subscriptions",
      auth: "merchant",
      body: createSubscriptionRequest,
      response: subscription,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, body.customerExternalId);
        const render = renderSubscription(201);
        return render(await runtime.billing.subscribe(customer, body.priceId, storedWith(ctx, render)));
      },
    }),
    operation({
      operationId: "retrieveSubscription",
      method: "get",
      path: "/v1/subscriptions/{subscriptionId}",
      summary: "Retrieve a subscription: status, current period, scheduled changes and credit.",
      tag: "Subscriptions",
      auth: "merchant",
      params: subscriptionParams,
      response: subscription,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return renderSubscription(200)(
          await runtime.billing.subscription(env, merchantId, params.subscriptionId),
        );
      },
    }),
    operation({
      operationId: "listSubscriptions",
      method: "get",
      path: "/v1/subscriptions",
      summary: "A customer's subscriptions.",
      tag: "Subscriptions",
      auth: "merchant",
      query: subscriptionListQuery,
      response: subscriptionList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, query.customerExternalId);
        const page = pageNewestFirst(
          await runtime.billing.subscriptionsOf(customer),
          ({ subscription }) => ({
            id: subscription.context.subscriptionId,
            createdAt: subscription.context.createdAt,
          }),
          query,
        );
        return { status: 200, body: listPageAt(page.data.map(subscriptionView), page.hasMore, page.lastId) };
      },
    }),
    operation({
      operationId: "changeSubscriptionPlan",
      method: "post",
      path: "/v1/subscriptions/{subscriptionId}/change-plan",
      summary:
        "Move to another price of the same product. An upgrade takes effect at once and invoices the prorated difference (to the second, each line rounded half up to the fen); a downgrade waits for the period end, or takes effect at once with the unused time credited to the next invoice.",
      tag: "Subscriptions",
      auth: "merchant",
      params: subscriptionParams,
      body: changePlanRequest,
      response: subscription,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = renderSubscription(200);
        return render(
          await runtime.billing.changePlan(
            env,
            merchantId,
            params.subscriptionId,
            { priceId: body.priceId, downgrade: body.downgrade },
            storedWith(ctx, render),
          ),
        );
      },
    }),
    operation({
      operationId: "cancelSubscription",
      method: "post",
      path: "/v1/subscriptions/{subscriptionId}/cancel",
      summary:
        "Cancel at the period end (default: access is held until then, and resume undoes it) or immediately (an unpaid invoice of the subscription is voided).",
      tag: "Subscriptions",
      auth: "merchant",
      params: subscriptionParams,
      body: cancelSubscriptionRequest,
      response: subscription,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = renderSubscription(200);
        return render(
          await runtime.billing.cancel(
            env,
            merchantId,
            params.subscriptionId,
            body.at,
            storedWith(ctx, render),
          ),
        );
      },
    }),
    operation({
      operationId: "resumeSubscription",
      method: "post",
      path: "/v1/subscriptions/{subscriptionId}/resume",
      summary: "Undo a scheduled cancel before the period ends.",
      tag: "Subscriptions",
      auth: "merchant",
      params: subscriptionParams,
      response: subscription,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = renderSubscription(200);
        return render(
          await runtime.billing.resume(env, merchantId, params.subscriptionId, storedWith(ctx, render)),
        );
      },
    }),
    operation({
      operationId: "createPurchase",
      method: "post",
      path: "/v1/purchases",
      summary:
        "A one-time purchase of a one-time price: its invoice is finalized now; paying it grants a permanent entitlement (entitlement.granted).",
      tag: "Purchases",
      auth: "merchant",
      body: createPurchaseRequest,
      response: purchase,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, body.customerExternalId);
        const render = renderPurchase(201);
        return render(await runtime.billing.purchase(customer, body.priceId, storedWith(ctx, render)));
      },
    }),
    operation({
      operationId: "listPurchases",
      method: "get",
      path: "/v1/purchases",
      summary: "A customer's one-time purchases, whatever their state.",
      tag: "Purchases",
      auth: "merchant",
      query: purchaseListQuery,
      response: purchaseList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, query.customerExternalId);
        const page = pageNewestFirst(
          await runtime.billing.purchasesOf(customer),
          ({ purchase }) => ({ id: purchase.context.purchaseId, createdAt: purchase.context.createdAt }),
          query,
        );
        return { status: 200, body: listPageAt(page.data.map(purchaseView), page.hasMore, page.lastId) };
      },
    }),
    operation({
      operationId: "retrievePurchase",
      method: "get",
      path: "/v1/purchases/{purchaseId}",
      summary: "Retrieve a purchase and its refund window.",
      tag: "Purchases",
      auth: "merchant",
      params: purchaseParams,
      response: purchase,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return renderPurchase(200)(await runtime.billing.purchaseOf(env, merchantId, params.purchaseId));
      },
    }),
    operation({
      operationId: "refundPurchase",
      method: "post",
      path: "/v1/purchases/{purchaseId}/refund",
      summary:
        "Refund a paid purchase in full inside its price's refund window (outside it: refund_window_closed). The entitlement is revoked at once; the money goes back through its channel.",
      tag: "Purchases",
      auth: "merchant",
      params: purchaseParams,
      body: refundPurchaseRequest,
      response: refund,
      status: 201,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = (result: RefundResult) => ({ status: 201, body: requestedRefundView(result) });
        return render(
          await runtime.billing.refundPurchase(
            env,
            merchantId,
            params.purchaseId,
            body.reason ?? null,
            storedWith(ctx, render),
          ),
        );
      },
    }),
    operation({
      operationId: "listInvoices",
      method: "get",
      path: "/v1/invoices",
      summary: "Subscription and purchase invoices, newest first.",
      tag: "Invoices",
      auth: "merchant",
      query: invoiceListQuery,
      response: invoiceList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer =
          query.customerExternalId === undefined
            ? undefined
            : await runtime.customers.require(env, merchantId, query.customerExternalId);
        const page = await runtime.billing.listInvoices(
          env,
          merchantId,
          {
            ...(customer ? { customerId: customer.id } : {}),
            ...(query.subscriptionId !== undefined ? { subscriptionId: query.subscriptionId } : {}),
            ...(query.status !== undefined ? { status: query.status } : {}),
          },
          {
            limit: query.limit,
            ...(query.startingAfter !== undefined ? { beforeSeq: Number(query.startingAfter) } : {}),
          },
        );
        const data = await Promise.all(
          page.items.map(async (item) =>
            invoiceView({
              invoice: item.invoice,
              customerExternalId: item.ref.customerExternalId,
              checkoutUrl: runtime.payments.checkoutUrl(item.ref.invoiceId),
              attempt: await runtime.payments.attempt(item.ref.invoiceId),
            }),
          ),
        );
        return { status: 200, body: listPageAt(data, page.hasMore, page.lastSeq) };
      },
    }),
    operation({
      operationId: "payInvoice",
      method: "post",
      path: "/v1/invoices/{invoiceId}/payments",
      summary:
        "Start paying an open subscription or purchase invoice through WeChat Pay or Alipay: returns what the payer needs (QR code, redirect, JSAPI parameters). One attempt at a time; an expired attempt leaves the invoice open for another.",
      tag: "Invoices",
      auth: "merchant",
      params: invoiceParams,
      body: payInvoiceRequest,
      response: invoicePayment,
      status: 201,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const ref = await runtime.billing.invoiceRef(env, merchantId, params.invoiceId);
        if (!ref) {
          // A top-up's invoice exists with the payment that created it; it is paid through that.
          if (await runtime.payments.isTopUpInvoice(env, merchantId, params.invoiceId)) {
            throw new DomainError(
              "invoice_not_open",
              `invoice ${params.invoiceId} is a top-up: it is paid through the checkout its top-up returned (POST /v1/customers/{externalId}/wallet/top-ups starts another)`,
            );
          }
          throw new DomainError(
            "invoice_not_found",
            `no subscription or purchase invoice ${params.invoiceId}`,
          );
        }
        const customer = await runtime.customers.require(env, merchantId, ref.customerExternalId);
        if (body.channel === "wechat_jsapi" && body.payerOpenId === undefined) {
          throw new DomainError("invalid_request", "wechat_jsapi needs the payer's payerOpenId");
        }
        const clientIp = body.clientIp ?? (body.channel === "wechat_h5" ? ctx.ip : undefined);
        const render = (result: TopUpResult) => ({ status: 201, body: invoicePaymentView(result) });
        const result = await runtime.payments.payInvoice(
          customer,
          params.invoiceId,
          {
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
      operationId: "listEntitlements",
      method: "get",
      path: "/v1/customers/{externalId}/entitlements",
      summary: "What the customer has access to now: active or past-due subscriptions and paid purchases.",
      tag: "Entitlements",
      auth: "merchant",
      params: externalIdParams,
      response: entitlementList,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, params.externalId);
        const found = await runtime.billing.entitlements(customer);
        return { status: 200, body: { object: "list" as const, data: found.map(entitlementView) } };
      },
    }),
    operation({
      operationId: "checkEntitlement",
      method: "get",
      path: "/v1/customers/{externalId}/entitlements/{productId}",
      summary: "Does this customer have access to this product now?",
      tag: "Entitlements",
      auth: "merchant",
      params: entitlementParams,
      response: entitlementCheck,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const customer = await runtime.customers.require(env, merchantId, params.externalId);
        // A mistyped product id is 404, not a silent "no access".
        await runtime.catalog.requireProduct(env, merchantId, params.productId);
        const found = (await runtime.billing.entitlements(customer)).find(
          (e) => e.productId === params.productId,
        );
        return {
          status: 200,
          body: {
            object: "entitlement_check" as const,
            productId: params.productId,
            hasAccess: found !== undefined,
            entitlement: found ? entitlementView(found) : null,
          },
        };
      },
    }),
  ];
}
