import { formatFen } from "./formatMoney.js";
import type { InvoiceDocument } from "./invoiceDocument.js";
import { channelLabels, fieldLabels, partyNames, statusLabels } from "./labels.js";
import {
  colors,
  contentWidth,
  drawText,
  drawTextRight,
  drawWrapped,
  measureWrapped,
  page,
  useFont,
  type Pdf,
} from "./pdfCanvas.js";

const amountDueBoxWidth = 205;
const amountDueBoxHeight = 64;
const totalsWidth = 205;
const notesWidth = contentWidth - totalsWidth - 36;

/** Who pays on the left; how much, by when, and the status on the right. Returns the y below. */
export function drawPartiesAndAmountDue(doc: Pdf, invoice: InvoiceDocument, top: number): number {
  const billToBottom = drawBillTo(doc, invoice, top);
  drawAmountDueBox(doc, invoice, top);
  return Math.max(billToBottom, top + amountDueBoxHeight) + 16;
}

function drawBillTo(doc: Pdf, invoice: InvoiceDocument, top: number): number {
  const { customer } = invoice;
  const width = contentWidth - amountDueBoxWidth - 36;
  const [firstName, secondName] = partyNames(customer);
  let y = top;
  useFont(doc, "regular", 7.5, colors.muted);
  drawText(doc, fieldLabels.billTo, page.left, y);
  y += 13;
  useFont(doc, "bold", 11);
  y += drawWrapped(doc, firstName ?? "", page.left, y, width);
  useFont(doc, "regular", 9);
  if (secondName !== undefined) y += drawWrapped(doc, secondName, page.left, y, width);
  useFont(doc, "regular", 7.5, colors.muted);
  const details = [
    customer.email,
    ...(customer.taxId === undefined ? [] : [`${fieldLabels.taxId}  ${customer.taxId}`]),
    ...(customer.addressLines ?? []),
  ];
  for (const detail of details) y += drawWrapped(doc, detail, page.left, y, width);
  return y;
}

function drawAmountDueBox(doc: Pdf, invoice: InvoiceDocument, top: number): void {
  const x = page.right - amountDueBoxWidth;
  doc.save().roundedRect(x, top, amountDueBoxWidth, amountDueBoxHeight, 6).fill(colors.panel).restore();
  doc
    .save()
    .rect(x, top + 10, 3, amountDueBoxHeight - 20)
    .fill(colors.accent)
    .restore();
  drawStatusPill(doc, invoice, page.right - 10, top + 9);
  useFont(doc, "regular", 7.5, colors.muted);
  drawText(doc, fieldLabels.amountDue, x + 16, top + 9);
  useFont(doc, "bold", 20, colors.ink);
  drawText(doc, formatFen(invoice.amountDueFen), x + 16, top + 20);
  const settled = invoice.amountDueFen === 0n && invoice.status === "paid";
  useFont(doc, "regular", 7.5, settled ? "#166534" : colors.muted);
  drawText(
    doc,
    settled ? fieldLabels.paidInFull : `${fieldLabels.dueOn}  ${invoice.dueDate}`,
    x + 16,
    top + 47,
  );
}

/** A small status badge whose right edge sits at `right`. */
function drawStatusPill(doc: Pdf, invoice: InvoiceDocument, right: number, top: number): void {
  const label = statusLabels[invoice.status];
  const text = `${label.zh} ${label.en}`;
  useFont(doc, "bold", 7);
  const width = doc.widthOfString(text) + 12;
  const tone = statusTones[invoice.status];
  doc
    .save()
    .roundedRect(right - width, top, width, 14, 7)
    .fill(tone.fill)
    .restore();
  useFont(doc, "bold", 7, tone.ink);
  drawText(doc, text, right - width + 6, top + 1.5);
}

const statusTones: Record<InvoiceDocument["status"], { fill: string; ink: string }> = {
  draft: { fill: "#e5e7eb", ink: "#374151" },
  finalized: { fill: "#dbeafe", ink: "#1e40af" },
  paid: { fill: "#dcfce7", ink: "#166534" },
  voided: { fill: "#fee2e2", ink: "#991b1b" },
};

/** The height `drawSummary` will take, so the caller can start a new page first. */
export function measureSummary(doc: Pdf, invoice: InvoiceDocument): number {
  return Math.max(totalsHeight(invoice), notesHeight(doc, invoice));
}

/** Totals on the right; payment details and the FX note beside them. */
export function drawSummary(doc: Pdf, invoice: InvoiceDocument, top: number): void {
  drawTotals(doc, invoice, top);
  drawNotes(doc, invoice, top);
}

const totalsRowHeight = 14;

function totalRows(invoice: InvoiceDocument): Array<{ label: string; fen: bigint; strong: boolean }> {
  return [
    { label: fieldLabels.subtotal, fen: invoice.subtotalFen, strong: false },
    ...(invoice.creditAppliedFen === 0n
      ? []
      : [{ label: fieldLabels.creditApplied, fen: -invoice.creditAppliedFen, strong: false }]),
    { label: fieldLabels.total, fen: invoice.totalFen, strong: true },
    { label: fieldLabels.amountPaid, fen: invoice.amountPaidFen, strong: false },
  ];
}

function totalsHeight(invoice: InvoiceDocument): number {
  return totalRows(invoice).length * totalsRowHeight + 9 + 19; // rows, rule gap, amount-due line
}

function drawTotals(doc: Pdf, invoice: InvoiceDocument, top: number): void {
  const left = page.right - totalsWidth;
  let y = top;
  for (const { label, fen, strong } of totalRows(invoice)) {
    useFont(doc, strong ? "bold" : "regular", 8.5, strong ? colors.ink : colors.muted);
    drawText(doc, label, left, y);
    useFont(doc, strong ? "bold" : "regular", 8.5);
    drawTextRight(doc, formatFen(fen), page.right, y);
    y += totalsRowHeight;
  }
  doc
    .save()
    .moveTo(left, y + 2)
    .lineTo(page.right, y + 2)
    .lineWidth(0.75)
    .strokeColor(colors.ink)
    .stroke();
  doc.restore();
  y += 9;
  useFont(doc, "bold", 10.5, colors.accent);
  drawText(doc, fieldLabels.amountDue, left, y);
  drawTextRight(doc, formatFen(invoice.amountDueFen), page.right, y);
}

function noteBlocks(invoice: InvoiceDocument): Array<{ label: string; text: string }> {
  const blocks: Array<{ label: string; text: string }> = [];
  const { payment } = invoice;
  if (payment !== undefined) {
    const channel = channelLabels[payment.channel];
    const text = [
      `${channel.zh} ${channel.en} · ${fieldLabels.paidAt} ${payment.paidAt}`,
      `${fieldLabels.transactionId} ${payment.transactionId}`,
    ].join("\n");
    blocks.push({ label: fieldLabels.payment, text });
  }
  if (invoice.fxNote !== undefined) blocks.push({ label: fieldLabels.exchangeRate, text: invoice.fxNote });
  return blocks;
}

const noteLabelHeight = 11;
const noteGap = 6;

function notesHeight(doc: Pdf, invoice: InvoiceDocument): number {
  useFont(doc, "regular", 7.5);
  let height = 0;
  for (const { text } of noteBlocks(invoice))
    height += noteLabelHeight + measureWrapped(doc, text, notesWidth) + noteGap;
  return height;
}

function drawNotes(doc: Pdf, invoice: InvoiceDocument, top: number): void {
  let y = top;
  for (const { label, text } of noteBlocks(invoice)) {
    useFont(doc, "bold", 7.5, colors.muted);
    drawText(doc, label, page.left, y);
    y += noteLabelHeight;
    useFont(doc, "regular", 7.5, colors.ink);
    y += drawWrapped(doc, text, page.left, y, notesWidth) + noteGap;
  }
}
