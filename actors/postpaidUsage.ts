import type { Decimal } from "decimal.js";
import { microsPerFen } from "../domain/money.js";
import { RatingDecimal } from "../domain/rating/index.js";
import type { InvoiceLine } from "../machines/invoiceTypes.js";
import { walletEntity } from "../machines/walletKind.js";
import type { Log } from "../wal/log.js";
import { usageBilledKey, type BillingRef } from "./billingRefs.js";
import type { WalletShares } from "./walletShares.js";

/** A customer's postpaid usage not yet on an invoice: one line per metric, and the sequence it runs to. */
export interface UnbilledUsage {
  lines: InvoiceLine[];
  /** The last ledger sequence read (0 when nothing new): stored with the invoice that bills it. */
  throughSeq: number;
}

/**
 * Postpaid usage is billed in arrears by ledger sequence, not by occurredAt: everything accrued since
 * the previous invoice goes on the next, so an event that arrives late (up to 35 days) is billed once,
 * on the first invoice after it arrived, never missed. Only CNY accruals are invoiced (the invoice's
 * currency). Each metric's total is rounded half up to the fen; the sub-fen remainder stays in the
 * customer's unbilled usage account.
 */
export class PostpaidUsage {
  constructor(
    private readonly log: Log,
    private readonly shares: WalletShares,
  ) {}

  async unbilled(ref: BillingRef): Promise<UnbilledUsage> {
    const entity = walletEntity(ref.customerId);
    const billed = Number((await this.log.get(usageBilledKey(ref.customerId))) ?? "0");
    const head = this.log.durableHead;
    // Quantities are decimal strings of up to 24 digits: summed exactly (64-digit decimals), never as floats.
    const totals = new Map<string, { micros: bigint; quantity: Decimal; events: number }>();
    let throughSeq = 0;
    for await (const { seq, facts } of this.shares.of(entity, { afterSeq: billed })) {
      if (seq > head) break;
      throughSeq = seq;
      for (const fact of facts) {
        if (fact.type !== "usage.accrued" || !fact.usage || fact.usage.currency !== "CNY") continue;
        const total = totals.get(fact.usage.metric) ?? {
          micros: 0n,
          quantity: new RatingDecimal(0),
          events: 0,
        };
        total.micros += BigInt(fact.amountMicros);
        total.quantity = total.quantity.plus(fact.usage.quantity);
        total.events += 1;
        totals.set(fact.usage.metric, total);
      }
    }
    const lines: InvoiceLine[] = [];
    for (const [metric, total] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
      const fen = (total.micros + microsPerFen / 2n) / microsPerFen;
      if (fen <= 0n) continue;
      lines.push({
        description: `Usage 用量: ${metric} (${total.events} ${total.events === 1 ? "event" : "events"})`,
        amountFen: fen,
        kind: "usage",
        quantity: total.quantity.toFixed(),
      });
    }
    return { lines, throughSeq };
  }
}
