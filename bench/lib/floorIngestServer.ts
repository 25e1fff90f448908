import { hash } from "node:crypto";
import Router from "@koa/router";
import { Level } from "level";
import { ingestRequest } from "../../api/schemas.js";
import { formatMicros } from "../../domain/money.js";
import { parseOffsetTime } from "../../domain/offsetTime.js";
import {
  periodStart,
  priceKey,
  ratingPeriodOf,
  rateEvent,
  selectPrice,
  usagePeriodAnchorMs,
  validateRateCardPrices,
  type Price,
} from "../../domain/rating/index.js";
import { ingestRatingPrices } from "./ingestWorkload.js";
import { serveBaseline } from "./serveBaseline.js";

/**
 * The ingest floor: the bare baseline plus only the per-event work issue 3 requires of a durable
 * prepaid ingest, with none of BuffMoney's structure (no actors, statecharts, rate card versions,
 * entity index, snapshots, feed or metrics). For each event: the time window, a permanent key read
 * and its fingerprint, the price chosen by dimensions and rated with the rating engine against the
 * period's usage, the wallet charged in memory unless it would go below zero. Then one synced
 * LevelDB write per batch holding a hash-chained record of the accepted events with their charges
 * and every new key. What no implementation of those rules can skip, on this machine, in Node.
 * Run as a child: `node --import tsx bench/lib/floorIngestServer.ts <port> <dataDir> <customers>`.
 */
const [portText = "0", dataDir = "/tmp/floor-ingest", customersText = "10000"] = process.argv.slice(2);
const merchant = "mer_floor";
const lateMs = 35 * 24 * 3600 * 1000;
const earlyMs = 5 * 60 * 1000;

const validated = validateRateCardPrices(ingestRatingPrices);
if (!validated.ok) throw new Error(`floor: the workload's prices do not validate: ${validated.message}`);
const version = { prices: validated.value } as { prices: Price[] };
const priceKeys = new Map(version.prices.map((price) => [price, priceKey(price)]));

/** Every customer exists and is prepaid with ¥100,000 (in micro-units). */
const balances = new Map<string, bigint>();
for (let i = 0; i < Number(customersText); i++) balances.set(`u${i}`, 100_000_000_000n);
/** The period's usage so far per customer and price. */
const usage = new Map<string, string>();

const db = new Level<string, string>(dataDir, { keyEncoding: "utf8", valueEncoding: "utf8" });
await db.open();
let seq = 0;
let prevHash = "0".repeat(64);

type Result = { idempotencyKey: string; status: string; code?: string; amount?: string };

const router = new Router();
router.post("/v1/usage-events", async (ctx) => {
  const { events } = ingestRequest.parse(ctx.request.body);
  const now = Date.now();
  const keys = events.map((event) => `u!test!${merchant}!${event.idempotencyKey}`);
  const stored = await db.getMany(keys);
  const results: Result[] = [];
  /** Each accepted event's key, content and charge, in order. */
  const accepted: string[] = [];
  const newKeys = new Map<string, string>();
  for (const [i, event] of events.entries()) {
    const key = keys[i] as string;
    const dimensions = event.dimensions === undefined ? "" : JSON.stringify(event.dimensions);
    const content = `${event.customerExternalId}\n${event.metric}\n${event.quantity}\n${event.occurredAt}\n${dimensions}`;
    const fingerprint = hash("sha256", content, "base64url");
    const earlier = stored[i] ?? newKeys.get(key);
    if (earlier !== undefined) {
      results.push(
        earlier === fingerprint
          ? { idempotencyKey: event.idempotencyKey, status: "duplicate" }
          : { idempotencyKey: event.idempotencyKey, status: "rejected", code: "idempotency_key_reused" },
      );
      continue;
    }
    const occurred = parseOffsetTime(event.occurredAt);
    const balance = balances.get(event.customerExternalId);
    const price = selectPrice(version as never, event.metric, event.dimensions ?? {});
    if (Number.isNaN(occurred) || occurred < now - lateMs || occurred > now + earlyMs) {
      results.push({
        idempotencyKey: event.idempotencyKey,
        status: "rejected",
        code: "occurred_at_out_of_range",
      });
      continue;
    }
    if (balance === undefined || price === undefined) {
      const code = balance === undefined ? "customer_not_found" : "price_not_found";
      results.push({ idempotencyKey: event.idempotencyKey, status: "rejected", code });
      continue;
    }
    const period = periodStart(ratingPeriodOf(price), occurred, usagePeriodAnchorMs);
    const usageKey = `${event.customerExternalId}|${priceKeys.get(price)}|${period}`;
    const rated = rateEvent(price, usage.get(usageKey) ?? "0", event.quantity);
    if (!rated.ok || rated.value.chargeMicros > balance) {
      results.push({
        idempotencyKey: event.idempotencyKey,
        status: "rejected",
        code: "insufficient_balance",
      });
      continue;
    }
    const charge = rated.value.chargeMicros;
    balances.set(event.customerExternalId, balance - charge);
    usage.set(usageKey, rated.value.cumulativeAfter);
    newKeys.set(key, fingerprint);
    accepted.push(event.idempotencyKey, content, String(charge));
    results.push({ idempotencyKey: event.idempotencyKey, status: "accepted", amount: formatMicros(charge) });
  }
  seq += 1;
  const body = JSON.stringify({ accepted, prevHash, seq });
  prevHash = hash("sha256", body, "hex");
  const batch = db.batch().put(`r!${String(seq).padStart(16, "0")}`, `${prevHash}\n${body}`);
  for (const [key, fingerprint] of newKeys) batch.put(key, fingerprint);
  // A failed write leaves the in-memory balances ahead of the ledger: the floor then stops, as the
  // server would, and the benchmark reports it.
  await batch.write({ sync: true });
  ctx.body = { object: "list", results };
});
serveBaseline(router, { port: Number(portText), db, jsonLimit: 1_048_576, label: "ingest floor" });
