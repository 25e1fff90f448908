import { fenToMicros, formatMicros } from "../domain/money.js";
import type { InvoiceLine } from "../machines/invoiceTypes.js";
import type { Price, Product } from "./catalog.js";

/** The lines billing puts on invoices: a subscription fee, a purchase, a plan change's proration. */
const yuan = (fen: bigint) => formatMicros(fenToMicros(fen));

/** How a price reads on an invoice line: the product's names and the price's nickname. */
export const productTitle = (product: Product, price: Price) =>
  [product.name, product.nameZh, price.nickname].filter((part) => part).join(" · ");

export function feeLine(product: Product, price: Price, _start: number, _end: number): InvoiceLine {
  return {
    description: `${productTitle(product, price)} (monthly 月付)`,
    amountFen: BigInt(price.amountFen),
    kind: "subscription",
    quantity: "1",
    unitAmount: yuan(BigInt(price.amountFen)),
  };
}

export function purchaseLine(product: Product, price: Price): InvoiceLine {
  return {
    description: productTitle(product, price),
    amountFen: BigInt(price.amountFen),
    kind: "purchase",
    quantity: "1",
    unitAmount: yuan(BigInt(price.amountFen)),
  };
}

/**
 * Stripe's two proration lines: unused time on the old price (a credit) and remaining time on the new.
 * `oldTitle` names the old price as its own fee line did (productTitle).
 */
export function prorationLines(
  oldTitle: string,
  price: Price,
  product: Product,
  proration: { unusedCreditFen: bigint; remainingChargeFen: bigint },
): InvoiceLine[] {
  const lines: InvoiceLine[] = [];
  if (proration.unusedCreditFen > 0n) {
    lines.push({
      description: `Unused time on ${oldTitle} 未使用时长退还`,
      amountFen: -proration.unusedCreditFen,
      kind: "proration",
    });
  }
  if (proration.remainingChargeFen > 0n) {
    lines.push({
      description: `Remaining time on ${productTitle(product, price)} 剩余时长`,
      amountFen: proration.remainingChargeFen,
      kind: "proration",
    });
  }
  return lines;
}
