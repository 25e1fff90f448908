import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Runtime } from "../actors/index.js";
import { createApp, type AppOptions } from "./app.js";
import { attachFeed, type FeedOptions, type FeedServer } from "./feed.js";

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  feed: FeedServer;
  /** Stops accepting requests, lets running ones finish, then flushes and closes the ledger. */
  close(): Promise<void>;
}

export async function startServer(
  runtime: Runtime,
  options: { port: number; host?: string; feed?: FeedOptions } & AppOptions,
): Promise<RunningServer> {
  const app = createApp(runtime, {
    ...(options.mount ? { mount: options.mount } : {}),
    logger: options.logger,
    metricsToken: options.metricsToken,
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
        await feed.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await runtime.close();
      })();
      return closing;
    },
  };
}
