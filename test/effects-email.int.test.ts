import { createHash } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { simpleParser, type AddressObject } from "mailparser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  composeInvoiceEmail,
  createMailer,
  notFapiaoStatement,
  renderInvoicePdf,
  type Mailer,
  type OutgoingEmail,
} from "../effects/index.js";
import { createInMemorySentStoreForTests, sampleInvoiceForTests } from "../effects/testing.js";
import { startSmtpServer, type TestSmtpServer } from "./support/smtpServer.js";

/** A port nothing listens on: bind, read the port, release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
  [field ?? []].flat().flatMap((group) => group.value.map((address) => address.address ?? ""));

describe("invoice email over SMTP", () => {
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let pdf: Uint8Array;
  let eventNumber = 0;

  function invoiceEmail(): { eventId: string; message: OutgoingEmail } {
    const eventId = `evt_test_${++eventNumber}`;
    const invoice = sampleInvoiceForTests();
    const message = composeInvoiceEmail({
      invoice,
      pdf,
      kind: "finalized",
      eventId,
      messageIdDomain: "mail.example.test",
    });
    return { eventId, message };
  }

  beforeAll(async () => {
    [smtp, pdf] = await Promise.all([startSmtpServer(), renderInvoicePdf(sampleInvoiceForTests())]);
    mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}?ignoreTLS=true`,
      from: "北京某某科技 <billing@mouse.example>",
      retryDelayMsBase: 5,
    });
  });

  afterEach(() => {
    smtp.received.length = 0;
    smtp.refusals.length = 0;
  });

  afterAll(async () => {
    mailer.close();
    await smtp.close();
  });

  it("delivers the subject in intact UTF-8, the recipient, the Message-ID and the PDF byte for byte", async () => {
    const { eventId, message } = invoiceEmail();
    const result = await mailer.sendOnce(createInMemorySentStoreForTests(), eventId, message);
    expect(result).toMatchObject({
      status: "sent",
      info: { attempts: 1, accepted: ["zhangsan@example.com"] },
    });
    expect(smtp.received).toHaveLength(1);

    const parsed = await simpleParser(smtp.received[0] ?? Buffer.alloc(0));
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.subject).toContain("北京某某科技有限公司 账单");
    expect(addresses(parsed.to)).toEqual(["zhangsan@example.com"]);
    expect(addresses(parsed.from)).toEqual(["billing@mouse.example"]);
    expect(parsed.messageId).toBe(`<bm.${eventId}@mail.example.test>`);
    expect(parsed.headers.get("x-buffmoney-event-id")).toBe(eventId);
    expect(parsed.text).toContain(notFapiaoStatement.zh);
    expect(parsed.html).toContain("¥1,490.00");
    expect(parsed.attachments).toHaveLength(1);
    const [attachment] = parsed.attachments;
    expect(attachment?.filename).toBe("invoice-BM-TEST-000042.pdf");
    expect(attachment?.contentType).toBe("application/pdf");
    expect(sha256(attachment?.content ?? Buffer.alloc(0))).toBe(sha256(pdf));
  });

  it("retries after a 451 and delivers exactly once", async () => {
    smtp.refusals.push(451);
    const store = createInMemorySentStoreForTests();
    const { eventId, message } = invoiceEmail();
    const result = await mailer.sendOnce(store, eventId, message);
    expect(result).toMatchObject({ status: "sent", info: { attempts: 2 } });
    expect(smtp.received).toHaveLength(1);
    expect(store.sent.get(eventId)?.messageId).toBe(message.messageId);
  });

  it("sends once when sendOnce is called twice, or concurrently, for one event", async () => {
    const store = createInMemorySentStoreForTests();
    const first = invoiceEmail();
    expect((await mailer.sendOnce(store, first.eventId, first.message)).status).toBe("sent");
    expect(await mailer.sendOnce(store, first.eventId, first.message)).toEqual({ status: "already_sent" });

    const second = invoiceEmail();
    await Promise.all([
      mailer.sendOnce(store, second.eventId, second.message),
      mailer.sendOnce(store, second.eventId, second.message),
    ]);
    expect(smtp.received).toHaveLength(2);
  });

  it("does not retry a permanent 550 and leaves the event unsent", async () => {
    smtp.refusals.push(550);
    const store = createInMemorySentStoreForTests();
    const { eventId, message } = invoiceEmail();
    const result = await mailer.sendOnce(store, eventId, message);
    expect(result).toMatchObject({ status: "failed", code: "smtp_rejected", retryable: false, attempts: 1 });
    expect(await store.wasSent(eventId)).toBe(false);
    expect(smtp.received).toHaveLength(0);
  });

  it("retries a refused connection with backoff, then reports the server unavailable", async () => {
    const delaysMs: number[] = [];
    const unreachable = createMailer({
      smtpUrl: `smtp://127.0.0.1:${await closedPort()}?ignoreTLS=true`,
      from: "billing@mouse.example",
      sendAttemptsMax: 3,
      sleep: (delayMs) => {
        delaysMs.push(delayMs);
        return Promise.resolve();
      },
      random: () => 1,
    });
    const { eventId, message } = invoiceEmail();
    const result = await unreachable.sendOnce(createInMemorySentStoreForTests(), eventId, message);
    unreachable.close();
    expect(result).toMatchObject({
      status: "failed",
      code: "smtp_unavailable",
      retryable: true,
      attempts: 3,
    });
    expect(delaysMs).toEqual([500, 1_000]);
  });

  it("refuses a message whose Message-ID does not derive from the event id", async () => {
    const { message } = invoiceEmail();
    await expect(mailer.sendOnce(createInMemorySentStoreForTests(), "evt_other", message)).rejects.toThrow(
      /does not derive from event evt_other/,
    );
  });
});
