import type { TestClock } from "../billingTypes.js";
import type { Transport } from "../http.js";
import { path } from "../path.js";
import { isoTimestamp, type Timestamp } from "../timestamp.js";
import type { RequestOptions } from "../types.js";

export interface CreateTestClockParams {
  frozenTime: Timestamp;
  name?: string | undefined;
}

export interface AdvanceTestClockParams {
  frozenTime: Timestamp;
}

/**
 * Sandbox keys only (live keys are refused): simulated time for the customers created on a clock
 * (`customers.create({ testClockId })`), to run their renewals without waiting a month.
 */
export class TestClocks {
  constructor(private readonly transport: Transport) {}

  async create(params: CreateTestClockParams, options: RequestOptions = {}): Promise<TestClock> {
    return this.transport.request({
      method: "POST",
      path: "/v1/test-clocks",
      body: { ...params, frozenTime: isoTimestamp(params.frozenTime) },
      idempotencyKey: options.idempotencyKey,
    });
  }

  async retrieve(testClockId: string): Promise<TestClock> {
    return this.transport.request({ method: "GET", path: path`/v1/test-clocks/${testClockId}` });
  }

  async advance(
    testClockId: string,
    params: AdvanceTestClockParams,
    options: RequestOptions = {},
  ): Promise<TestClock> {
    return this.transport.request({
      method: "POST",
      path: path`/v1/test-clocks/${testClockId}/advance`,
      body: { ...params, frozenTime: isoTimestamp(params.frozenTime) },
      idempotencyKey: options.idempotencyKey,
    });
  }
}
