import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Runtime } from "../actors/index.js";
import { limits } from "../domain/limits.js";
import { createApp, type AppOptions } from "./app.js";
import { attachFeed, type FeedOptions, type FeedServer } from "./feed.js";

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  feed: FeedServer;
  /**
   * Stops accepting connections and requests: each response from now on closes its connection, idle
   * connections are closed at once, and whatever is still open after the drain time is cut. Then
   * the ledger is flushed and closed. A request cut before its answer may or may not have been
   * applied (a retry with its Idempotency-Key tells); nothing answered is lost.
   */
  close(): Promise<void>;
}

export async function startServer(
  runtime: Runtime,
  options: { port: number; host?: string; feed?: FeedOptions; drainMs?: number } & AppOptions,
): Promise<RunningServer> {
  let draining = false;
  const app = createApp(runtime, {
    ...(options.mount ? { mount: options.mount } : {}),
    logger: options.logger,
    metricsToken: options.metricsToken,
    draining: () => draining,
    ...(options.requestsInFlightPerMerchantMax === undefined
      ? {}
      : { requestsInFlightPerMerchantMax: options.requestsInFlightPerMerchantMax }),
  });
  const server = app.listen(options.port, options.host ?? "0.0.0.0");
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const feed = attachFeed(server, runtime, options.feed);
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    feed,
    close() {
      closing ??= (async () => {
        draining = true;
        await feed.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // A connection between two requests is closed as soon as it is seen idle.
          const idle = setInterval(() => server.closeIdleConnections(), 50);
          const cut = setTimeout(
            () => server.closeAllConnections(),
            options.drainMs ?? limits.shutdownDrainMs,
          );
          server.once("close", () => {
            clearInterval(idle);
            clearTimeout(cut);
          });
          server.closeIdleConnections();
        });
        await runtime.close();
      })();
      return closing;
    },
  };
}
