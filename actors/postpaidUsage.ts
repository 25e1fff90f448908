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
  /** What to store with that invoice (usageBilledKey): the sequence, and what it leaves to carry. */
  marker: string;
}

/** Usage lines per invoice; past it the metrics last in name order share one line (an invoice holds 100). */
export const usageLinesMax = 90;

/** How far usage was billed, and per metric what was left over (micros: sub-fen remainders, credits). */
interface BilledMarker {
  seq: number;
  carryMicros: Record<string, string>;
}

/** Written as a bare sequence before carries were kept. */
function parseMarker(stored: string | undefined): BilledMarker {
  if (stored === undefined) return { seq: 0, carryMicros: {} };
  if (/^\d+$/.test(stored)) return { seq: Number(stored), carryMicros: {} };
  return JSON.parse(stored) as BilledMarker;
}

/** Rounded half up to the fen; floored division, so a credit rounds as a charge does. */
function fenOf(micros: bigint): bigint {
  const shifted = micros + microsPerFen / 2n;
  const quotient = shifted / microsPerFen;
  return shifted < 0n && quotient * microsPerFen !== shifted ? quotient - 1n : quotient;
}

/**
 * Postpaid usage is billed in arrears by ledger sequence, not by occurredAt: everything accrued since
 * the previous invoice goes on the next, so an event that arrives late (up to 35 days) is billed once,
 * on the first invoice after it arrived, never missed. Only CNY accruals are invoiced (the invoice's
 * currency). Each metric's total is rounded half up to the fen, and what rounding leaves is carried
 * to the next invoice; so is a metric whose total is a credit (volume pricing reaching a cheaper tier)
 * when the invoice's other lines would not cover it. Nothing accrued is dropped.
 */
export class PostpaidUsage {
  constructor(
    private readonly log: Log,
    private readonly shares: WalletShares,
  ) {}

  /**
   * `otherLinesFen`: what the invoice's other lines come to at least; usage credits may take the
   * invoice down to zero, no further (the rest is carried).
   */
  async unbilled(ref: BillingRef, otherLinesFen = 0n): Promise<UnbilledUsage> {
    const entity = walletEntity(ref.customerId);
    const billed = parseMarker(await this.log.get(usageBilledKey(ref.customerId)));
    const head = this.log.durableHead;
    // Quantities are decimal strings of up to 24 digits: summed exactly (64-digit decimals), never as floats.
    const totals = new Map<string, { micros: bigint; quantity: Decimal; events: number }>();
    const totalOf = (metric: string) => {
      const total = totals.get(metric) ?? { micros: 0n, quantity: new RatingDecimal(0), events: 0 };
      totals.set(metric, total);
      return total;
    };
    for (const [metric, micros] of Object.entries(billed.carryMicros))
      totalOf(metric).micros += BigInt(micros);
    let throughSeq = 0;
    for await (const { seq, facts } of this.shares.of(entity, { afterSeq: billed.seq })) {
      if (seq > head) break;
      throughSeq = seq;
      for (const fact of facts) {
        if (fact.type !== "usage.accrued" || !fact.usage || fact.usage.currency !== "CNY") continue;
        const total = totalOf(fact.usage.metric);
        total.micros += BigInt(fact.amountMicros);
        total.quantity = total.quantity.plus(fact.usage.quantity);
        total.events += 1;
      }
    }
    const carry: Record<string, string> = {};
    const billable = [...totals]
      .sort(([a], [b]) => a.localeCompare(b))
      .filter(([metric, total]) => {
        if (fenOf(total.micros) !== 0n) return true;
        if (total.micros !== 0n) carry[metric] = total.micros.toString();
        return false;
      });
    // Credits go on the invoice only when the lines beside them cover them.
    const net = billable.reduce((sum, [, total]) => sum + fenOf(total.micros), otherLinesFen);
    const onInvoice = net >= 0n ? billable : billable.filter(([, total]) => total.micros > 0n);
    if (net < 0n)
      for (const [metric, total] of billable) if (total.micros < 0n) carry[metric] = total.micros.toString();
    const lines: InvoiceLine[] = [];
    const rest = { fen: 0n, metrics: 0, events: 0 };
    for (const [index, [metric, total]] of onInvoice.entries()) {
      const fen = fenOf(total.micros);
      const left = total.micros - fen * microsPerFen;
      if (left !== 0n) carry[metric] = left.toString();
      if (index >= usageLinesMax - 1 && onInvoice.length > usageLinesMax) {
        rest.fen += fen;
        rest.metrics += 1;
        rest.events += total.events;
        continue;
      }
      lines.push({
        description: `Usage 用量: ${metric} (${total.events} ${total.events === 1 ? "event" : "events"})`,
        amountFen: fen,
        kind: "usage",
        quantity: total.quantity.toFixed(),
      });
    }
    if (rest.metrics > 0) {
      lines.push({
        description: `Usage 用量: ${rest.metrics} more metrics (${rest.events} events)`,
        amountFen: rest.fen,
        kind: "usage",
      });
    }
    const marker = JSON.stringify({
      seq: throughSeq || billed.seq,
      carryMicros: carry,
    } satisfies BilledMarker);
    return { lines, throughSeq, marker };
  }
}
