import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallbackHeaders, CallbackResult } from "../types.js";

/** Sandbox plumbing for tests and local runs: loopback servers and a callback receiver. */

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, an ephemeral port. */
export async function listenOnLoopback(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedCallback {
  /** Path and query the callback was posted to. */
  url: string;
  headers: CallbackHeaders;
  body: Buffer;
  result: CallbackResult;
}

export interface CallbackReceiver extends LoopbackServer {
  readonly received: ReceivedCallback[];
  /** Resolves once `predicate` holds for the received callbacks (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (received: readonly ReceivedCallback[]) => boolean, timeoutMs?: number): Promise<void>;
}

/** A merchant endpoint: parses every callback with `parse` and answers with the result's ack. */
export async function createCallbackReceiver(
  parse: (headers: CallbackHeaders, rawBody: Uint8Array) => Promise<CallbackResult>,
): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const server = await listenOnLoopback((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      void parse(req.headers, body).then((result) => {
        received.push({ url: req.url ?? "/", headers: req.headers, body, result });
        res.writeHead(result.ack.status, { "Content-Type": result.ack.contentType });
        res.end(result.ack.body);
      });
    });
  });
  return {
    ...server,
    received,
    async waitFor(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`callbacks did not arrive in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}
