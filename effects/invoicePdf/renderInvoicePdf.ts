import PDFDocument from "pdfkit";
import { loadInvoiceFonts, type InvoiceFonts } from "./fonts.js";
import { assertInvoiceDocument, type InvoiceDocument } from "./invoiceDocument.js";
import { partyName, titleLabel } from "./labels.js";
import { drawLinesTable } from "./linesTable.js";
import { drawContinuationHeader, drawFirstPageHeader, drawFooters } from "./pageFrame.js";
import { fontNames, page, type Pdf } from "./pdfCanvas.js";
import { drawPartiesAndAmountDue, drawSummary, measureSummary } from "./sections.js";

/**
 * Renders the customer-facing PDF. The same invoice always gives the same bytes: the document
 * dates and file ID derive from the issue date, and nothing reads the clock.
 */
export async function renderInvoicePdf(invoice: InvoiceDocument): Promise<Uint8Array> {
  assertInvoiceDocument(invoice);
  const fonts = await loadInvoiceFonts();
  const doc = createDocument(invoice, fonts);
  const bytes = collectBytes(doc);
  drawInvoice(doc, invoice);
  doc.end();
  return bytes;
}

function createDocument(invoice: InvoiceDocument, fonts: InvoiceFonts): Pdf {
  // Start of the issue day in Beijing; pdfkit hashes the info dictionary into the file ID.
  const issuedAt = new Date(`${invoice.issueDate}T00:00:00+08:00`);
  const merchant = partyName(invoice.merchant, "en");
  const doc = new PDFDocument({
    size: "A4",
    margin: 0,
    bufferPages: true,
    autoFirstPage: false,
    lang: "zh-CN",
    displayTitle: true,
    info: {
      Title: `${titleLabel.en} ${invoice.number} — ${merchant}`,
      Author: merchant,
      Subject: `${titleLabel.zh} ${titleLabel.en} ${invoice.number}`,
      Creator: "BuffMoney",
      Producer: "BuffMoney",
      CreationDate: issuedAt,
      ModDate: issuedAt,
    },
  });
  doc.registerFont(fontNames.regular, fonts.regular);
  doc.registerFont(fontNames.bold, fonts.bold);
  return doc;
}

function drawInvoice(doc: Pdf, invoice: InvoiceDocument): void {
  doc.addPage();
  let y = drawFirstPageHeader(doc, invoice);
  y = drawPartiesAndAmountDue(doc, invoice, y);
  const startPage = (): number => {
    doc.addPage();
    return drawContinuationHeader(doc, invoice);
  };
  y = drawLinesTable(doc, invoice.lines, y, startPage) + 12;
  if (y + measureSummary(doc, invoice) > page.contentBottom) y = startPage();
  drawSummary(doc, invoice, y);
  drawFooters(doc, invoice);
}

function collectBytes(doc: Pdf): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
}
