import type { Customer, Runtime } from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import {
  createCustomerRequest,
  customer,
  customerList,
  customerListQuery,
  externalIdParams,
  updateCustomerRequest,
} from "../schemas.js";
import { customerView } from "../views.js";

export function customerOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "createCustomer",
      method: "post",
      path: "/v1/customers",
      summary: "Create a customer, known by your own externalId; in the sandbox, optionally on a test clock.",
      tag: "Customers",
      auth: "merchant",
      body: createCustomerRequest,
      response: customer,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const testClockId = body.testClockId ?? null;
        if (testClockId !== null) await runtime.testClocks.require(env, merchantId, testClockId);
        const render = (created: Customer) => ({ status: 201, body: customerView(created) });
        const created = await runtime.customers.create(
          env,
          merchantId,
          { externalId: body.externalId, name: body.name ?? null, email: body.email ?? null, testClockId },
          storedWith(ctx, render),
        );
        return render(created);
      },
    }),
    operation({
      operationId: "listCustomers",
      method: "get",
      path: "/v1/customers",
      summary: "Your customers in this environment, in externalId order, a page at a time.",
      tag: "Customers",
      auth: "merchant",
      query: customerListQuery,
      response: customerList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const page = await runtime.customers.list(env, merchantId, {
          limit: query.limit,
          afterExternalId: query.startingAfter,
        });
        const last = page.customers[page.customers.length - 1];
        return {
          status: 200,
          body: {
            object: "list",
            data: page.customers.map(customerView),
            hasMore: page.hasMore,
            nextCursor: page.hasMore && last ? last.externalId : null,
          },
        };
      },
    }),
    operation({
      operationId: "retrieveCustomer",
      method: "get",
      path: "/v1/customers/{externalId}",
      summary: "Retrieve a customer by externalId.",
      tag: "Customers",
      auth: "merchant",
      params: externalIdParams,
      response: customer,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const found = await runtime.customers.require(env, merchantId, params.externalId);
        return { status: 200, body: customerView(found) };
      },
    }),
    operation({
      operationId: "updateCustomer",
      method: "patch",
      path: "/v1/customers/{externalId}",
      summary:
        "Change a customer: name, email, or the rate card and billing mode (prepaid or postpaid) that price its usage.",
      tag: "Customers",
      auth: "merchant",
      params: externalIdParams,
      body: updateCustomerRequest,
      response: customer,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const current = await runtime.customers.require(env, merchantId, params.externalId);
        const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
        const render = (updated: Customer) => ({ status: 200, body: customerView(updated) });
        // Nothing to change: nothing to record (no ledger record, no audit entry).
        if (Object.keys(changes).length === 0) return render(current);
        const updated = await runtime.customers.update(
          current,
          changes,
          actorOf(ctx),
          async (next) => {
            if (next.billingMode && !next.rateCardId) {
              throw new DomainError(
                "billing_mode_requires_rate_card",
                "assign a rate card with the billing mode",
              );
            }
            if (!next.rateCardId) return;
            const card = await runtime.rateCards.require(env, merchantId, next.rateCardId);
            const latest = card.versions[card.versions.length - 1];
            // Prepaid usage is charged to the CNY wallet and postpaid usage is invoiced in CNY.
            if (latest?.currency !== "CNY") {
              throw new DomainError(
                "currency_mismatch",
                `a customer's rate card must be in CNY, the currency its wallet and invoices are in (this one is in ${latest?.currency ?? "no currency"})`,
              );
            }
          },
          storedWith(ctx, render),
        );
        return render(updated);
      },
    }),
  ];
}
