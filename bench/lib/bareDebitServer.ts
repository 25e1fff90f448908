import { randomBytes } from "node:crypto";
import Router from "@koa/router";
import { Level } from "level";
import { debitRequest } from "../../api/schemas.js";
import { limits } from "../../domain/limits.js";
import { RawGroupCommit } from "./rawGroupCommit.js";
import { serveBaseline } from "./serveBaseline.js";

/**
 * The debit baseline: Koa + router + body parser + zod parsing the same request, then one record
 * per request through a synced group commit on LevelDB, answered 201 once durable. What a durable
 * single-write endpoint costs on this machine before any billing logic (no auth, balance, ledger
 * encoding or hash chain). Run as a child: `node --import tsx bench/lib/bareDebitServer.ts <port> <dataDir>`.
 */
const [portText = "0", dataDir = "/tmp/bare-debit"] = process.argv.slice(2);
const db = new Level<string, string>(dataDir, { keyEncoding: "utf8", valueEncoding: "utf8" });
await db.open();
const committer = new RawGroupCommit(db, limits.commitBatchRecordsMax);
let seq = 0;
const router = new Router();
router.post("/v1/customers/:externalId/wallet/debits", async (ctx) => {
  const body = debitRequest.parse(ctx.request.body);
  seq += 1;
  const id = `wtx_${randomBytes(10).toString("hex")}`;
  const record = { seq, customer: ctx.params.externalId, amount: body.amount, id };
  await committer.put(`b!${seq.toString().padStart(16, "0")}`, JSON.stringify(record));
  ctx.status = 201;
  ctx.body = { object: "wallet_transaction", id, type: "debit", amount: body.amount };
});
serveBaseline(router, {
  port: Number(portText),
  db,
  jsonLimit: limits.requestBodyBytesMax,
  label: "bare debit baseline",
});
