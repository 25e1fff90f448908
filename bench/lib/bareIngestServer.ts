import Router from "@koa/router";
import { Level } from "level";
import { ingestRequest } from "../../api/schemas.js";
import { serveBaseline } from "./serveBaseline.js";

/**
 * The ingest baseline: Koa + zod parsing the same batches + one synced LevelDB write per batch,
 * answering each event "accepted". What a durable ingest endpoint costs before any billing logic.
 * Run as a child: `node --import tsx bench/lib/bareIngestServer.ts <port> <dataDir>`.
 */
const [portText = "0", dataDir = "/tmp/bare-ingest"] = process.argv.slice(2);
const db = new Level<string, string>(dataDir, { keyEncoding: "utf8", valueEncoding: "utf8" });
await db.open();
let seq = 0;
const router = new Router();
router.post("/v1/usage-events", async (ctx) => {
  const { events } = ingestRequest.parse(ctx.request.body);
  seq += 1;
  await db.put(`b!${seq.toString().padStart(16, "0")}`, JSON.stringify(events), { sync: true });
  ctx.body = {
    object: "list",
    results: events.map((e) => ({ idempotencyKey: e.idempotencyKey, status: "accepted" })),
  };
});
serveBaseline(router, { port: Number(portText), db, jsonLimit: 1_048_576, label: "bare ingest baseline" });
