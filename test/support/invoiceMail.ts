import type { InvoiceMailPolicy, InvoiceSource, InvoiceSourceData, Runtime } from "../../actors/index.js";
import { createInvoiceWiring } from "../../bin/invoiceWiring.js";
import { invoiceEntity, invoiceKind } from "../../machines/invoiceKind.js";
import type { EntityState } from "../../machines/kind.js";
import type { InvoiceCommand, InvoiceContext } from "../../machines/invoiceTypes.js";
import type { LoggedFact } from "../../wal/record.js";
import { scenario } from "./kindGiven.js";
import { startTestServer } from "./server.js";

/**
 * A real SMTP server in-process. `refusals` holds reply codes for the next DATA commands (451: try
 * later, 550: never); `listen(port)` can bring it up on a port chosen before (SMTP down, then up).
 */
export { startSmtpServer, type TestSmtpServer } from "./smtpServer.js";

/** An InvoiceSource the test fills in, standing in for billing's read model. */
export function fakeInvoiceSource(): InvoiceSource & { invoices: Map<string, InvoiceSourceData> } {
  const invoices = new Map<string, InvoiceSourceData>();
  return { invoices, read: (invoiceId) => Promise.resolve(invoices.get(invoiceId)) };
}

/**
 * A server whose invoice effects are wired from effects/ as bin/ wires them: PDFs always, email
 * through `smtpUrl` with fast retries. `mail` tunes the outbox.
 */
export async function startInvoiceTestServer(
  options: { smtpUrl?: string; dataDir?: string; mail?: Partial<InvoiceMailPolicy> } = {},
) {
  const wiring = createInvoiceWiring({
    smtpUrl: options.smtpUrl,
    from: "北京某某科技 <billing@mouse.example>",
    mailer: { sendAttemptsMax: 1 },
    mail: { retryDelayMsBase: 20, retryDelayMsMax: 100, ...options.mail },
  });
  const server = await startTestServer({
    startTimers: false,
    invoiceEffects: wiring.effects,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      wiring.close();
    },
    async remove() {
      await server.remove();
      wiring.close();
    },
  };
}

const invoices = scenario(invoiceKind);

export type InvoiceParties = Pick<InvoiceSourceData, "customer" | "merchant" | "payment">;

/**
 * Drives one invoice through the real machine, appending each accepted command to the runtime's
 * log as a record (its fact as the registry logs it) and publishing it, as the runtime does. The
 * fake source sees the new state first, as billing's read model would.
 */
export function invoiceDriver(
  runtime: Runtime,
  source: ReturnType<typeof fakeInvoiceSource>,
  owner: { env: "test" | "live"; merchantId: string },
  parties: InvoiceParties,
) {
  let state = invoiceKind.initialState();
  const apply = async (command: (at: number) => InvoiceCommand, payment?: InvoiceParties["payment"]) => {
    const at = runtime.log.now();
    const result = invoices.when(state, command(at));
    if (!result.ok) throw new Error(`invoice command rejected: ${result.code}`);
    state = result.state;
    const invoiceId = state.context.invoiceId;
    source.invoices.set(invoiceId, {
      ...owner,
      ...parties,
      ...(payment !== undefined ? { payment } : {}),
      invoice: state,
    });
    const record = await runtime.log.append(
      {
        env: owner.env,
        merchantId: owner.merchantId,
        entity: invoiceEntity(invoiceId),
        command: { type: command(at).type },
        facts: [result.fact as unknown as LoggedFact],
        postings: [],
        keys: [],
      },
      at,
    );
    runtime.feed.publish(record);
    return record;
  };
  return {
    get state(): EntityState<InvoiceContext> {
      return state;
    },
    apply,
  };
}
