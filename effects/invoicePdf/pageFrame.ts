import type { InvoiceDocument } from "./invoiceDocument.js";
import {
  fieldLabels,
  formatPeriod,
  notFapiaoLabel,
  notFapiaoStatement,
  partyName,
  partyNames,
  statusLabels,
  titleLabel,
} from "./labels.js";
import {
  colors,
  contentWidth,
  drawRule,
  drawText,
  drawTextRight,
  drawWrapped,
  lineHeight,
  page,
  useFont,
  type Pdf,
} from "./pdfCanvas.js";

const issuerWidth = 270;
const detailsWidth = 205;
const detailLabelWidth = 92;

/** The issuer at the top left; title and invoice details at the top right. Returns the y below. */
export function drawFirstPageHeader(doc: Pdf, invoice: InvoiceDocument): number {
  const issuerBottom = drawIssuer(doc, invoice);
  const titleBottom = drawTitleAndDetails(doc, invoice);
  const bottom = Math.max(issuerBottom, titleBottom) + 10;
  drawRule(doc, bottom);
  return bottom + 14;
}

/** Pages after the first repeat who issued what, so a loose page is still identifiable. */
export function drawContinuationHeader(doc: Pdf, invoice: InvoiceDocument): number {
  useFont(doc, "bold", 11);
  drawText(doc, partyName(invoice.merchant, "zh"), page.left, page.top);
  useFont(doc, "regular", 8.5, colors.muted);
  const title = `${titleLabel.zh} ${titleLabel.en} ${invoice.number} · ${fieldLabels.continued}`;
  drawTextRight(doc, title, page.right, page.top + 3);
  const bottom = page.top + 24;
  drawRule(doc, bottom);
  return bottom + 14;
}

function drawIssuer(doc: Pdf, invoice: InvoiceDocument): number {
  const { merchant } = invoice;
  const [firstName, secondName] = partyNames(merchant);
  let y = page.top;
  useFont(doc, "bold", 15);
  y += drawWrapped(doc, firstName ?? "", page.left, y, issuerWidth);
  if (secondName !== undefined) {
    useFont(doc, "regular", 10);
    y += drawWrapped(doc, secondName, page.left, y, issuerWidth);
  }
  y += 4;
  useFont(doc, "regular", 7.5, colors.muted);
  const details = [
    ...(merchant.addressLines ?? []),
    ...(merchant.registrationNumber === undefined
      ? []
      : [`${fieldLabels.registrationNumber}  ${merchant.registrationNumber}`]),
    ...(merchant.email === undefined ? [] : [merchant.email]),
  ];
  for (const detail of details) y += drawWrapped(doc, detail, page.left, y, issuerWidth);
  return y;
}

function drawTitleAndDetails(doc: Pdf, invoice: InvoiceDocument): number {
  let y = page.top - 4;
  useFont(doc, "bold", 20, colors.accent);
  drawTextRight(doc, `${titleLabel.zh} ${titleLabel.en}`, page.right, y);
  y += 30;
  useFont(doc, "regular", 8, colors.muted);
  drawTextRight(doc, notFapiaoLabel, page.right, y);
  y += 18;
  const details: Array<[string, string]> = [
    [fieldLabels.invoiceNumber, invoice.number],
    [fieldLabels.issueDate, invoice.issueDate],
    [fieldLabels.dueDate, invoice.dueDate],
    [fieldLabels.period, formatPeriod(invoice.period)],
  ];
  for (const [label, value] of details) {
    useFont(doc, "regular", 7.5, colors.muted);
    drawText(doc, label, page.right - detailsWidth, y + 0.5);
    useFont(doc, "regular", 8);
    drawText(doc, value, page.right - detailsWidth + detailLabelWidth, y);
    y += 12.5;
  }
  return y;
}

/** The not-a-fapiao statement and page numbers on every page, drawn once all pages exist. */
export function drawFooters(doc: Pdf, invoice: InvoiceDocument): void {
  const range = doc.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index++) {
    doc.switchToPage(index);
    drawRule(doc, page.footerRuleY);
    const pageNumber = index - range.start + 1;
    const pageLabel = `${invoice.number} · 第 ${pageNumber}/${range.count} 页 Page ${pageNumber} of ${range.count}`;
    useFont(doc, "regular", 6.5, colors.muted);
    drawTextRight(doc, pageLabel, page.right, page.footerRuleY + 6);
    // The Chinese line stops short of the page label; the English one gets the full width below it.
    const zhWidth = contentWidth - doc.widthOfString(pageLabel) - 16;
    const y = page.footerRuleY + 6;
    const zhHeight = drawWrapped(doc, notFapiaoStatement.zh, page.left, y, zhWidth);
    drawWrapped(doc, notFapiaoStatement.en, page.left, y + zhHeight, contentWidth);
    if (invoice.status === "draft" || invoice.status === "voided") drawWatermark(doc, invoice);
  }
}

/** Drafts and voided invoices carry their status across the page so no one pays from them. */
function drawWatermark(doc: Pdf, invoice: InvoiceDocument): void {
  const label = statusLabels[invoice.status];
  doc.save().rotate(-30, { origin: [page.width / 2, page.height / 2] });
  useFont(doc, "bold", 72, colors.rule);
  doc.opacity(0.55);
  const text = `${label.zh} ${label.en.toUpperCase()}`;
  drawText(doc, text, (page.width - doc.widthOfString(text)) / 2, (page.height - lineHeight(doc)) / 2);
  doc.restore();
}
