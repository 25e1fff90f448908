import { formatDecimalYuan, formatFen, formatQuantity } from "./formatMoney.js";
import type { InvoiceLine } from "./invoiceDocument.js";
import { fieldLabels } from "./labels.js";
import {
  colors,
  contentWidth,
  drawRule,
  drawText,
  drawTextRight,
  drawWrapped,
  measureWrapped,
  page,
  useFont,
  type Pdf,
} from "./pdfCanvas.js";

/** Right edges of the number columns; the description takes the rest. */
const columns = {
  amountRight: page.right,
  unitAmountRight: page.right - 96,
  quantityRight: page.right - 196,
  descriptionWidth: contentWidth - 196 - 84,
} as const;

const rowPaddingY = 2.4;
const descriptionSize = 8.5;
const descriptionZhSize = 7.5;

/** Starts a new page and returns the y where the table may continue. */
export type StartPage = () => number;

/** Draws every line, starting pages as needed with the table header repeated; returns the y below. */
export function drawLinesTable(
  doc: Pdf,
  lines: readonly InvoiceLine[],
  top: number,
  startPage: StartPage,
): number {
  let y = drawTableHeader(doc, top);
  for (const line of lines) {
    const height = measureRow(doc, line);
    if (y + height > page.contentBottom) y = drawTableHeader(doc, startPage());
    drawRow(doc, line, y);
    y += height;
    drawRule(doc, y);
  }
  return y;
}

function drawTableHeader(doc: Pdf, top: number): number {
  useFont(doc, "bold", 7.5, colors.muted);
  drawText(doc, fieldLabels.description, page.left, top);
  drawTextRight(doc, fieldLabels.quantity, columns.quantityRight, top);
  drawTextRight(doc, fieldLabels.unitAmount, columns.unitAmountRight, top);
  drawTextRight(doc, fieldLabels.amount, columns.amountRight, top);
  const bottom = top + 15;
  drawRule(doc, bottom, colors.ruleStrong);
  return bottom;
}

function measureRow(doc: Pdf, line: InvoiceLine): number {
  useFont(doc, "regular", descriptionSize);
  let height = measureWrapped(doc, line.description, columns.descriptionWidth);
  if (line.descriptionZh !== undefined) {
    useFont(doc, "regular", descriptionZhSize);
    height += measureWrapped(doc, line.descriptionZh, columns.descriptionWidth);
  }
  return height + 2 * rowPaddingY;
}

function drawRow(doc: Pdf, line: InvoiceLine, top: number): void {
  const y = top + rowPaddingY;
  useFont(doc, "regular", descriptionSize);
  const descriptionHeight = drawWrapped(doc, line.description, page.left, y, columns.descriptionWidth);
  if (line.descriptionZh !== undefined) {
    useFont(doc, "regular", descriptionZhSize, colors.muted);
    drawWrapped(doc, line.descriptionZh, page.left, y + descriptionHeight, columns.descriptionWidth);
  }
  useFont(doc, "regular", descriptionSize);
  drawTextRight(doc, formatQuantity(line.quantity), columns.quantityRight, y);
  const unit = line.unitAmount === null ? "—" : formatDecimalYuan(line.unitAmount);
  drawTextRight(doc, unit, columns.unitAmountRight, y);
  drawTextRight(doc, formatFen(line.amountFen), columns.amountRight, y);
}
