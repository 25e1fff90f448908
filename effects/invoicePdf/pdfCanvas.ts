/** A4 geometry, the palette and the few text primitives every section draws with. */
export type Pdf = PDFKit.PDFDocument;

export const page = {
  width: 595.28,
  height: 841.89,
  left: 48,
  right: 547.28,
  top: 40,
  /** Sections never draw below this line; the footer lives under it. */
  contentBottom: 784,
  footerRuleY: 792,
} as const;

export const contentWidth = page.right - page.left;

export const colors = {
  ink: "#111827",
  muted: "#6b7280",
  rule: "#e5e7eb",
  ruleStrong: "#9ca3af",
  accent: "#1e3a8a",
  panel: "#f3f5f9",
} as const;

export const fontNames = { regular: "invoice-regular", bold: "invoice-bold" } as const;

export function useFont(
  doc: Pdf,
  weight: keyof typeof fontNames,
  size: number,
  color: string = colors.ink,
): void {
  doc.font(fontNames[weight]).fontSize(size).fillColor(color);
}

/** One line, no wrapping: pdfkit never adds a page for it. */
export function drawText(doc: Pdf, text: string, x: number, y: number): void {
  doc.text(text, x, y, { lineBreak: false });
}

export function drawTextRight(doc: Pdf, text: string, right: number, y: number): void {
  doc.text(text, right - doc.widthOfString(text), y, { lineBreak: false });
}

/** Wrapped text inside `width`; returns the height it took. Callers keep it above contentBottom. */
export function drawWrapped(doc: Pdf, text: string, x: number, y: number, width: number): number {
  const height = doc.heightOfString(text, { width });
  doc.text(text, x, y, { width });
  return height;
}

export function measureWrapped(doc: Pdf, text: string, width: number): number {
  return doc.heightOfString(text, { width });
}

export function lineHeight(doc: Pdf): number {
  return doc.currentLineHeight();
}

export function drawRule(doc: Pdf, y: number, color: string = colors.rule): void {
  doc.save().moveTo(page.left, y).lineTo(page.right, y).lineWidth(0.75).strokeColor(color).stroke().restore();
}
