import type { Customer, Runtime } from "../../actors/index.js";
import { merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { createCustomerRequest, customer, externalIdParams } from "../schemas.js";
import { customerView } from "../views.js";

export function customerOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "createCustomer",
      method: "post",
      path: "/v1/customers",
      summary: "Create a customer, known by your own externalId.",
      tag: "Customers",
      auth: "merchant",
      body: createCustomerRequest,
      response: customer,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const render = (created: Customer) => ({ status: 201, body: customerView(created) });
        const created = await runtime.customers.create(
          env,
          merchantId,
          { externalId: body.externalId, name: body.name ?? null, email: body.email ?? null },
          storedWith(ctx, render),
        );
        return render(created);
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
  ];
}
