import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Source Han Sans SC covers Latin, CJK and the supplementary planes (𠮷) in one face. */
export type InvoiceFonts = { regular: Buffer; bold: Buffer };

let fontsLoading: Promise<InvoiceFonts> | undefined;

/**
 * Reads the two ~17 MB font files once per process and keeps the Buffers; pdfkit subsets
 * them per document, so each PDF embeds only the glyphs it uses.
 */
export function loadInvoiceFonts(): Promise<InvoiceFonts> {
  fontsLoading ??= readInvoiceFonts().catch((error: unknown) => {
    fontsLoading = undefined; // let a later render try again rather than cache the failure
    throw error;
  });
  return fontsLoading;
}

async function readInvoiceFonts(): Promise<InvoiceFonts> {
  const resolveFromHere = createRequire(import.meta.url).resolve;
  const fontDir = dirname(resolveFromHere("node-source-han-sans-sc/package.json"));
  const [regular, bold] = await Promise.all([
    readFile(join(fontDir, "SourceHanSansSC-Regular.otf")),
    readFile(join(fontDir, "SourceHanSansSC-Bold.otf")),
  ]);
  return { regular, bold };
}
