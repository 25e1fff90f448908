import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server in-process on an ephemeral port. `refusals` holds the reply codes for the
 * next DATA commands (a 451 says "try again later"); an empty queue accepts.
 */
export type TestSmtpServer = { port: number; received: Buffer[]; refusals: number[]; close(): Promise<void> };

export async function startSmtpServer(port = 0): Promise<TestSmtpServer> {
  const received: Buffer[] = [];
  const refusals: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const refusal = refusals.shift();
        if (refusal !== undefined) {
          callback(Object.assign(new Error(`refused with ${refusal}`), { responseCode: refusal }));
          return;
        }
        received.push(Buffer.concat(chunks));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.server.address() as AddressInfo).port;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  return { port: bound, received, refusals, close };
}
