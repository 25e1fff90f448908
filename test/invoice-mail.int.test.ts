import { createServer, type AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { invoiceDocumentOf, type InvoiceMailJob, type Runtime } from "../actors/index.js";
import { renderInvoicePdf } from "../effects/index.js";
import type { InvoiceCommand, InvoiceLine } from "../machines/invoiceTypes.js";
import {
  fakeInvoiceSource,
  invoiceDriver,
  startInvoiceTestServer,
  startSmtpServer,
  type InvoiceParties,
  type TestSmtpServer,
} from "./support/invoiceMail.js";
import { invoiceMailKeys } from "../actors/invoiceMailStore.js";
import { tempDir } from "./support/tempDir.js";

type Server = Awaited<ReturnType<typeof startInvoiceTestServer>>;

async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > 15_000) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on: bind, read the port, release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const plan: InvoiceLine = {
  description: "Pro plan, November 2026",
  amountFen: 49_900n,
  kind: "subscription",
};
const tokens: InvoiceLine = {
  description: "Model API tokens",
  amountFen: 96_000n,
  kind: "usage",
  quantity: "1200000",
  unitAmount: "0.0008",
};
const parties = (email: string | null): InvoiceParties => ({
  customer: { name: "张三 𠮷野", email, externalId: "user_42" },
  merchant: { name: "北京某某科技有限公司" },
  payment: null,
});

let invoiceCount = 0;
const draft =
  (creditAppliedFen = 0n) =>
  (at: number): InvoiceCommand => ({
    type: "invoice.draft",
    invoiceId: `inv_mail_${++invoiceCount}`,
    customerId: "cus_1",
    currency: "CNY",
    purpose: "subscription",
    lines: [plan, tokens],
    creditAppliedFen,
    subscriptionId: "sub_1",
    purchaseId: null,
    periodStart: at - 30 * 24 * 3600 * 1000,
    periodEnd: at,
    at,
  });
const finalize =
  (number: string) =>
  (at: number): InvoiceCommand => ({
    type: "invoice.finalize",
    number,
    addLines: [],
    dueAt: at + 14 * 24 * 3600 * 1000,
    at,
  });
const pay =
  (amountFen: bigint) =>
  (at: number): InvoiceCommand => ({ type: "invoice.pay", paymentId: "pay_1", amountFen, at });

const sources = new WeakMap<Server, ReturnType<typeof fakeInvoiceSource>>();

/** A merchant, with a fake invoice source standing in for billing's read model (one per server). */
async function merchantOn(server: Server) {
  const { merchant, apiKeys } = await server.runtime.merchants.create("北京某某科技有限公司");
  let source = sources.get(server);
  if (!source) {
    source = fakeInvoiceSource();
    sources.set(server, source);
    server.runtime.setInvoiceSource(source);
  }
  const owner = { env: "test" as const, merchantId: merchant.id };
  return {
    apiKey: apiKeys.test,
    source,
    owner,
    invoice: (email: string | null = "zhangsan@example.com") =>
      invoiceDriver(server.runtime, source, owner, parties(email)),
    /** The whole response read (an unread body would hold the connection open). */
    download: async (invoiceId: string, key = apiKeys.test) => {
      const response = await fetch(`${server.url}/v1/invoices/${invoiceId}/pdf`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      const body = Buffer.from(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, body, code: problemCode(body) };
    },
  };
}

function problemCode(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString("utf8")) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

const mailStatus = (runtime: Runtime, invoiceId: string): Promise<InvoiceMailJob[]> =>
  runtime.invoiceMail?.status(invoiceId) ?? Promise.resolve([]);

const parse = (raw: Buffer | undefined): Promise<ParsedMail> => simpleParser(raw ?? Buffer.alloc(0));

describe("invoice email and PDF download", () => {
  let smtp: TestSmtpServer;
  let server: Server;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startInvoiceTestServer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true` });
  });
  afterEach(() => {
    smtp.received.length = 0;
    smtp.refusals.length = 0;
  });
  afterAll(async () => {
    await server.remove();
    await smtp.close();
  });

  it("mails a finalized and then a paid invoice exactly once each, attaching the PDF the API serves", async () => {
    const merchant = await merchantOn(server);
    const invoice = merchant.invoice();
    await invoice.apply(draft());
    expect((await merchant.download(invoice.state.context.invoiceId)).status).toBe(409);
    await invoice.apply(finalize("BM-TEST-000101"));
    const invoiceId = invoice.state.context.invoiceId;

    await waitFor(() => smtp.received.length === 1);
    const download = await merchant.download(invoiceId);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="BM-TEST-000101.pdf"');
    const openPdf = download.body;
    const sent = await parse(smtp.received[0]);
    expect(sent.subject).toBe(
      "Invoice BM-TEST-000101 from 北京某某科技有限公司 / 北京某某科技有限公司 账单 BM-TEST-000101",
    );
    expect(sent.to && "text" in sent.to ? sent.to.text : "").toBe("zhangsan@example.com");
    expect(sent.attachments).toHaveLength(1);
    expect(Buffer.compare(sent.attachments[0]?.content ?? Buffer.alloc(0), openPdf)).toBe(0);

    await invoice.apply(pay(145_900n));
    await waitFor(() => smtp.received.length === 2);
    const paidPdf = (await merchant.download(invoiceId)).body;
    const receipt = await parse(smtp.received[1]);
    expect(receipt.subject).toMatch(/^Receipt for invoice BM-TEST-000101/);
    expect(Buffer.compare(receipt.attachments[0]?.content ?? Buffer.alloc(0), paidPdf)).toBe(0);
    // The same bytes as rendering the document directly: deterministic, nothing from the clock.
    const data = merchant.source.invoices.get(invoiceId);
    expect(data).toBeDefined();
    if (data) expect(Buffer.compare(await renderInvoicePdf(invoiceDocumentOf(data)), paidPdf)).toBe(0);
    expect(Buffer.compare(openPdf, paidPdf)).not.toBe(0);

    await settle();
    expect(smtp.received).toHaveLength(2);
    const jobs = await mailStatus(server.runtime, invoiceId);
    expect(jobs.map((job) => [job.kind, job.state, job.attempts, job.to])).toEqual([
      ["finalized", "sent", 1, "zhangsan@example.com"],
      ["paid", "sent", 1, "zhangsan@example.com"],
    ]);
  });

  it("mails a receipt for an invoice the credit paid in full, and nothing for a top-up", async () => {
    const merchant = await merchantOn(server);
    const covered = merchant.invoice();
    await covered.apply(draft(145_900n));
    await covered.apply(finalize("BM-TEST-000102"));
    expect(covered.state.value).toBe("paid");

    const topUp = merchant.invoice();
    await topUp.apply((at) => ({
      type: "invoice.open",
      invoiceId: "inv_mail_top_up",
      customerId: "cus_1",
      currency: "CNY",
      lines: [{ description: "Top-up", amountFen: 10_000n, kind: "top_up" }],
      purpose: "top_up",
      at,
    }));
    await topUp.apply(pay(10_000n));

    await waitFor(() => smtp.received.length === 1);
    expect((await parse(smtp.received[0])).subject).toMatch(/^Receipt for invoice BM-TEST-000102/);
    await settle();
    expect(smtp.received).toHaveLength(1);
    expect(await mailStatus(server.runtime, "inv_mail_top_up")).toEqual([]);
    const topUpPdf = await merchant.download("inv_mail_top_up");
    expect(topUpPdf.status).toBe(409);
    expect(topUpPdf.code).toBe("invoice_not_finalized");
  });

  it("documents the download as application/pdf in the OpenAPI document", async () => {
    const document = (await (await fetch(`${server.url}/api/openapi`)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content: Record<string, unknown> }> } }>;
    };
    const responses = document.paths["/v1/invoices/{invoiceId}/pdf"]?.get?.responses;
    expect(Object.keys(responses?.["200"]?.content ?? {})).toEqual(["application/pdf"]);
    expect(responses?.["200"]?.content["application/pdf"]).toMatchObject({
      schema: { type: "string", contentMediaType: "application/pdf" },
    });
  });

  it("answers 404 for an unknown invoice and for another merchant's", async () => {
    const merchant = await merchantOn(server);
    const invoice = merchant.invoice(null);
    await invoice.apply(draft());
    await invoice.apply(finalize("BM-TEST-000103"));
    const invoiceId = invoice.state.context.invoiceId;
    const { apiKeys } = await server.runtime.merchants.create("Other Merchant");

    for (const response of [
      await merchant.download("inv_unknown"),
      await merchant.download(invoiceId, apiKeys.test),
    ]) {
      expect(response.status).toBe(404);
      expect(response.code).toBe("invoice_not_found");
    }
    expect((await merchant.download(invoiceId)).status).toBe(200);
  });

  it("records a customer without an email as skipped, and sends nothing", async () => {
    const merchant = await merchantOn(server);
    const invoice = merchant.invoice(null);
    await invoice.apply(draft());
    await invoice.apply(finalize("BM-TEST-000104"));
    const [job] = await waitFor(async () => {
      const jobs = await mailStatus(server.runtime, invoice.state.context.invoiceId);
      return jobs[0]?.state === "skipped" && jobs;
    });
    expect(job).toMatchObject({ reason: "customer_has_no_email", attempts: 0, to: null });
    expect(smtp.received).toHaveLength(0);
  });

  it("records a permanent refusal as failed, and later invoices still go out", async () => {
    const merchant = await merchantOn(server);
    smtp.refusals.push(550);
    const refused = merchant.invoice("nobody@example.com");
    await refused.apply(draft());
    await refused.apply(finalize("BM-TEST-000105"));
    const [job] = await waitFor(async () => {
      const jobs = await mailStatus(server.runtime, refused.state.context.invoiceId);
      return jobs[0]?.state === "failed" && jobs;
    });
    expect(job).toMatchObject({ reason: "smtp_rejected", attempts: 1, lastError: { code: "smtp_rejected" } });

    const next = merchant.invoice();
    await next.apply(draft());
    await next.apply(finalize("BM-TEST-000106"));
    await waitFor(() => smtp.received.length === 1);
    expect((await parse(smtp.received[0])).subject).toContain("BM-TEST-000106");
  });
});

describe("invoice email when SMTP is down, and across restarts", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("retries with backoff while the server is down and delivers once when it comes up", async () => {
    const port = await closedPort();
    const server = await startInvoiceTestServer({ smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true` });
    cleanups.push(() => server.remove());
    const merchant = await merchantOn(server);
    const invoice = merchant.invoice();
    await invoice.apply(draft());
    await invoice.apply(finalize("BM-TEST-000201"));
    const invoiceId = invoice.state.context.invoiceId;
    const [failing] = await waitFor(async () => {
      const jobs = await mailStatus(server.runtime, invoiceId);
      return (jobs[0]?.attempts ?? 0) >= 2 && jobs;
    });
    expect(failing).toMatchObject({ state: "pending", lastError: { code: "smtp_unavailable" } });

    const smtp = await startSmtpServer(port);
    cleanups.push(() => smtp.close());
    await waitFor(() => smtp.received.length === 1);
    await waitFor(async () => (await mailStatus(server.runtime, invoiceId))[0]?.state === "sent");
    await settle();
    expect(smtp.received).toHaveLength(1);
  });

  it("resumes pending email after a restart, and never mails an event twice", async () => {
    const smtp = await startSmtpServer();
    cleanups.push(() => smtp.close());
    const dir = await tempDir();
    cleanups.push(() => dir.remove());
    const smtpUrl = `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`;

    // First run: one invoice mailed; a second one refused (451) on every try, left pending.
    const first = await startInvoiceTestServer({ smtpUrl, dataDir: dir.path, mail: { attemptsMax: 1_000 } });
    const merchant = await merchantOn(first);
    const mailed = merchant.invoice();
    await mailed.apply(draft());
    await mailed.apply(finalize("BM-TEST-000301"));
    await waitFor(() => smtp.received.length === 1);
    smtp.refusals.push(...Array<number>(10_000).fill(451));
    const waiting = merchant.invoice();
    await waiting.apply(draft());
    await waiting.apply(finalize("BM-TEST-000302"));
    await waitFor(
      async () => (await mailStatus(first.runtime, waiting.state.context.invoiceId))[0]?.attempts,
    );
    const mailedJob = (await mailStatus(first.runtime, mailed.state.context.invoiceId))[0];
    expect(mailedJob?.state).toBe("sent");

    // As if the process died after the SMTP server took the first email, before the job and the
    // cursor recorded it: the job pending again, the cursor before both records.
    const store = first.runtime.invoiceMail?.store;
    if (mailedJob && store) {
      await first.runtime.log.db.batch(
        [
          ...store.updateOps({ ...mailedJob, state: "pending" }),
          { type: "put", key: invoiceMailKeys.cursor, value: String(mailedJob.seq - 2) },
        ],
        { sync: true },
      );
    }
    await first.stop();
    smtp.refusals.length = 0;

    const second = await startInvoiceTestServer({ smtpUrl, dataDir: dir.path });
    cleanups.push(() => second.stop());
    second.runtime.setInvoiceSource(merchant.source);
    await waitFor(() => smtp.received.length === 2);
    await waitFor(async () => {
      const jobs = await Promise.all(
        [mailed, waiting].map((invoice) => mailStatus(second.runtime, invoice.state.context.invoiceId)),
      );
      return jobs.flat().every((job) => job.state === "sent");
    });
    await settle();
    expect(smtp.received).toHaveLength(2);
    const subjects = await Promise.all(smtp.received.map(async (raw) => (await parse(raw)).subject));
    expect(subjects.map((subject) => subject?.match(/BM-TEST-\d+/)?.[0])).toEqual([
      "BM-TEST-000301",
      "BM-TEST-000302",
    ]);
    // The first email's job ran again and found it sent (billing's own invoice source, set when the
    // runtime opens, may have answered "not found" once before the test's source was set).
    const [mailedAgain] = await mailStatus(second.runtime, mailed.state.context.invoiceId);
    expect(mailedAgain?.state).toBe("sent");
    expect(mailedAgain?.attempts).toBeGreaterThanOrEqual(2);
    expect(await mailStatus(second.runtime, waiting.state.context.invoiceId)).toHaveLength(1);
  });
});
