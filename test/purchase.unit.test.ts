import { describe, expect, it } from "vitest";
import { toLoggable } from "../domain/bigintJson.js";
import { purchaseGrantsAccess, purchaseKind, type PurchaseCommand } from "../machines/index.js";
import { scenario } from "./support/kindGiven.js";
import { refusalOf } from "./support/kindRefusal.js";

const { given, when } = scenario(purchaseKind);
const refusal = refusalOf(purchaseKind);

const create = (overrides: Partial<Extract<PurchaseCommand, { type: "purchase.create" }>> = {}) =>
  ({
    type: "purchase.create",
    purchaseId: "pur_1",
    customerId: "cus_1",
    productId: "prod_lifetime",
    priceId: "price_lifetime",
    amountFen: 29_900n,
    invoiceId: "inv_1",
    refundWindowMs: 10_000,
    at: 1_000,
    ...overrides,
  }) satisfies PurchaseCommand;
const pay = (invoiceId = "inv_1", at = 2_000): PurchaseCommand => ({ type: "purchase.pay", invoiceId, at });
const refund = (at = 5_000): PurchaseCommand => ({ type: "purchase.refund", refundId: "re_1", at });
const cancel: PurchaseCommand = { type: "purchase.cancel", reason: "invoice_voided", at: 3_000 };

const everyCommand: PurchaseCommand[] = [create(), pay(), refund(), cancel];

describe("purchase machine", () => {
  it("given nothing, when created, then pending with its invoice", () => {
    const result = when(given(), create());
    expect(result).toEqual({
      ok: true,
      state: {
        value: "pending",
        context: expect.objectContaining({ status: "pending", createdAt: 1_000, paidAt: null }) as unknown,
      },
      fact: {
        type: "purchase.created",
        purchaseId: "pur_1",
        customerId: "cus_1",
        productId: "prod_lifetime",
        priceId: "price_lifetime",
        amountFen: "29900",
        invoiceId: "inv_1",
        status: "pending",
        refundWindowMs: 10_000,
      },
    });
  });

  it("given nothing, when created with no amount or a negative refund window, then refused", () => {
    expect(refusal(given(), create({ amountFen: 0n }))).toBe("invalid_amount");
    expect(refusal(given(), create({ refundWindowMs: -1 }))).toBe("invalid_refund_window");
  });

  it("given nothing, when paid, refunded or canceled, then purchase_not_found", () => {
    for (const command of everyCommand.slice(1)) expect(refusal(given(), command)).toBe("purchase_not_found");
  });

  it("given a purchase in any state, when created again, then purchase_exists", () => {
    for (const state of [given(create()), given(create(), pay()), given(create(), cancel)]) {
      expect(refusal(state, create())).toBe("purchase_exists");
    }
  });

  it("given a pending purchase, when its invoice is paid, then paid with the refund deadline", () => {
    const result = when(given(create()), pay());
    expect(result).toMatchObject({
      ok: true,
      state: { value: "paid", context: { paidAt: 2_000 } },
      fact: { type: "purchase.paid", status: "paid", paidAt: 2_000, refundableUntil: 12_000 },
    });
  });

  it("given a purchase without refunds, when paid, then no refund deadline", () => {
    expect(when(given(create({ refundWindowMs: 0 })), pay())).toMatchObject({
      fact: { refundableUntil: null },
    });
  });

  it("given a pending purchase, when another invoice is paid, then invoice_mismatch", () => {
    expect(refusal(given(create()), pay("inv_2"))).toBe("invoice_mismatch");
  });

  it("given a paid, refunded or canceled purchase, when paid or canceled, then purchase_not_pending", () => {
    const states = [given(create(), pay()), given(create(), pay(), refund()), given(create(), cancel)];
    for (const state of states) {
      expect(refusal(state, pay())).toBe("purchase_not_pending");
      expect(refusal(state, cancel)).toBe("purchase_not_pending");
    }
  });

  it("given a paid purchase, when refunded up to the window's last moment, then refunded", () => {
    const result = when(given(create(), pay()), refund(12_000));
    expect(result).toMatchObject({
      ok: true,
      state: { value: "refunded", context: { refundId: "re_1", refundedAt: 12_000 } },
      fact: { type: "purchase.refunded", status: "refunded", refundId: "re_1" },
    });
  });

  it("given a paid purchase, when refunded after the window or with no window, then refund_window_closed", () => {
    expect(refusal(given(create(), pay()), refund(12_001))).toBe("refund_window_closed");
    expect(refusal(given(create({ refundWindowMs: 0 }), pay()), refund(2_000))).toBe("refund_window_closed");
  });

  it("given a pending, canceled or refunded purchase, when refunded, then purchase_not_paid", () => {
    for (const state of [given(create()), given(create(), cancel), given(create(), pay(), refund())]) {
      expect(refusal(state, refund())).toBe("purchase_not_paid");
    }
  });

  it("given a pending purchase, when canceled, then canceled with the reason", () => {
    const result = when(given(create()), cancel);
    expect(result).toMatchObject({
      ok: true,
      state: { value: "canceled", context: { canceledAt: 3_000, cancelReason: "invoice_voided" } },
      fact: { type: "purchase.canceled", status: "canceled", reason: "invoice_voided" },
    });
  });

  it("grants access only while paid", () => {
    expect(purchaseGrantsAccess(given(create()))).toBe(false);
    expect(purchaseGrantsAccess(given(create(), pay()))).toBe(true);
    expect(purchaseGrantsAccess(given(create(), pay(), refund()))).toBe(false);
    expect(purchaseGrantsAccess(given(create(), cancel))).toBe(false);
  });

  it("keeps commands and context, bigint fen included, through their logged JSON form", () => {
    const state = given(create(), pay());
    const json = JSON.parse(JSON.stringify(purchaseKind.contextToJson(state.context))) as unknown;
    expect(purchaseKind.contextFromJson(json)).toEqual(state.context);
    expect(purchaseKind.commandFromLog(JSON.parse(JSON.stringify(toLoggable(create()))))).toEqual(create());
    const paid = when(given(create()), pay());
    if (!paid.ok) throw new Error(paid.code);
    expect(
      purchaseKind.postingsOf(paid.fact, { env: "test", merchantId: null, entityId: "purchase:pur_1" }),
    ).toEqual([]);
  });
});
