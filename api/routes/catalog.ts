import type { CatalogPage, Price, Product, Runtime } from "../../actors/index.js";
import { positiveFen } from "../amounts.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { listPageAt } from "../pagination.js";
import {
  createPriceRequest,
  createProductRequest,
  listQuery,
  priceList,
  priceListQuery,
  priceParams,
  product,
  productList,
  productParams,
  productPrice,
} from "../schemas.js";
import { priceView, productView } from "../views.js";

const pageOf = <T, V>(page: CatalogPage<T>, view: (item: T) => V) =>
  listPageAt(page.data.map(view), page.hasMore, page.nextAfter);

const afterOf = (startingAfter: string | undefined) =>
  startingAfter === undefined ? {} : { after: Number(startingAfter) };

export function catalogOperations(runtime: Runtime): Operation[] {
  const renderProduct = (status: number) => (created: Product) => ({ status, body: productView(created) });
  const renderPrice = (status: number) => (created: Price) => ({ status, body: priceView(created) });
  return [
    operation({
      operationId: "createProduct",
      method: "post",
      path: "/v1/products",
      summary: "Create a product: what you sell. Its prices say how much and how often.",
      tag: "Products",
      auth: "merchant",
      body: createProductRequest,
      response: product,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const created = await runtime.catalog.createProduct(
          env,
          merchantId,
          { name: body.name, nameZh: body.nameZh ?? null, description: body.description ?? null },
          actorOf(ctx),
          storedWith(ctx, renderProduct(201)),
        );
        return renderProduct(201)(created);
      },
    }),
    operation({
      operationId: "retrieveProduct",
      method: "get",
      path: "/v1/products/{productId}",
      summary: "Retrieve a product.",
      tag: "Products",
      auth: "merchant",
      params: productParams,
      response: product,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return renderProduct(200)(await runtime.catalog.requireProduct(env, merchantId, params.productId));
      },
    }),
    operation({
      operationId: "listProducts",
      method: "get",
      path: "/v1/products",
      summary: "List products, newest first.",
      tag: "Products",
      auth: "merchant",
      query: listQuery,
      response: productList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const page = await runtime.catalog.listProducts(env, merchantId, {
          limit: query.limit,
          ...afterOf(query.startingAfter),
        });
        return { status: 200, body: pageOf(page, productView) };
      },
    }),
    operation({
      operationId: "createPrice",
      method: "post",
      path: "/v1/prices",
      summary:
        "Create a product's price: recurring (monthly, for subscriptions) or one-time (for purchases, with an optional refund window). Prices are immutable: to change one, create another.",
      tag: "Products",
      auth: "merchant",
      body: createPriceRequest,
      response: productPrice,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const created = await runtime.catalog.createPrice(
          env,
          merchantId,
          {
            productId: body.productId,
            type: body.type,
            amountFen: positiveFen(body.unitAmount, "unitAmount").toString(),
            currency: body.currency,
            nickname: body.nickname,
            interval: body.interval,
            refundWindowDays: body.refundWindowDays,
          },
          actorOf(ctx),
          storedWith(ctx, renderPrice(201)),
        );
        return renderPrice(201)(created);
      },
    }),
    operation({
      operationId: "retrievePrice",
      method: "get",
      path: "/v1/prices/{priceId}",
      summary: "Retrieve a price.",
      tag: "Products",
      auth: "merchant",
      params: priceParams,
      response: productPrice,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return renderPrice(200)(await runtime.catalog.requirePrice(env, merchantId, params.priceId));
      },
    }),
    operation({
      operationId: "listPrices",
      method: "get",
      path: "/v1/prices",
      summary: "List prices, newest first: all of them, or one product's.",
      tag: "Products",
      auth: "merchant",
      query: priceListQuery,
      response: priceList,
      status: 200,
      handle: async (ctx, { query }) => {
        const { env, merchantId } = merchantOf(ctx);
        const page = await runtime.catalog.listPrices(env, merchantId, {
          limit: query.limit,
          productId: query.productId,
          ...afterOf(query.startingAfter),
        });
        return { status: 200, body: pageOf(page, priceView) };
      },
    }),
  ];
}
