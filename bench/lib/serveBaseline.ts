import { bodyParser } from "@koa/bodyparser";
import type Router from "@koa/router";
import Koa from "koa";
import type { Level } from "level";

/**
 * Serves a bare baseline (body parser + one router) on 127.0.0.1:`port` until SIGTERM, then closes
 * its store. Prints "listening" once ready: the benchmark waits for that line.
 */
export function serveBaseline(
  router: Router,
  options: { port: number; db: Level<string, string>; jsonLimit: number; label: string },
): void {
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ["json"], jsonLimit: options.jsonLimit }));
  app.use(router.routes());
  const server = app.listen(options.port, "127.0.0.1", () =>
    console.log(`BuffMoney listening (${options.label})`),
  );
  process.on("SIGTERM", () => {
    server.close();
    void options.db.close().then(() => process.exit(0));
  });
}
