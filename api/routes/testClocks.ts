import type { Runtime, TestClock } from "../../actors/index.js";
import { actorOf, merchantOf } from "../auth.js";
import { storedWith } from "../idempotency.js";
import { operation, type Operation } from "../operation.js";
import { advanceTestClockRequest, createTestClockRequest, testClock, testClockParams } from "../schemas.js";
import { testClockView } from "../views.js";

export function testClockOperations(runtime: Runtime): Operation[] {
  const render = (status: number) => (clock: TestClock) => ({ status, body: testClockView(clock) });
  return [
    operation({
      operationId: "createTestClock",
      method: "post",
      path: "/v1/test-clocks",
      summary:
        "Sandbox only: create a test clock. Customers created on it live on its time, so a month of their billing runs in one advance.",
      tag: "Sandbox",
      auth: "merchant",
      body: createTestClockRequest,
      response: testClock,
      status: 201,
      handle: async (ctx, { body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const clock = await runtime.testClocks.create(
          env,
          merchantId,
          { frozenTime: Date.parse(body.frozenTime), name: body.name },
          actorOf(ctx),
          storedWith(ctx, render(201)),
        );
        return render(201)(clock);
      },
    }),
    operation({
      operationId: "retrieveTestClock",
      method: "get",
      path: "/v1/test-clocks/{clockId}",
      summary: "Sandbox only: retrieve a test clock (status is advancing while an advance runs).",
      tag: "Sandbox",
      auth: "merchant",
      params: testClockParams,
      response: testClock,
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        return render(200)(await runtime.testClocks.require(env, merchantId, params.clockId));
      },
    }),
    operation({
      operationId: "advanceTestClock",
      method: "post",
      path: "/v1/test-clocks/{clockId}/advance",
      summary:
        "Sandbox only: move a test clock forward (at most two years at a time), running what falls due for its customers on the way. One advance of a clock at a time.",
      tag: "Sandbox",
      auth: "merchant",
      params: testClockParams,
      body: advanceTestClockRequest,
      response: testClock,
      status: 200,
      handle: async (ctx, { params, body }) => {
        const { env, merchantId } = merchantOf(ctx);
        const clock = await runtime.testClocks.advance(
          env,
          merchantId,
          params.clockId,
          Date.parse(body.frozenTime),
          actorOf(ctx),
          storedWith(ctx, render(200)),
        );
        return render(200)(clock);
      },
    }),
  ];
}
