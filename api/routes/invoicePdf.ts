import { z } from "zod";
import type { Runtime } from "../../actors/index.js";
import { merchantOf } from "../auth.js";
import { operation, type Operation } from "../operation.js";
import { invoiceParams } from "../schemas.js";

const pdfBody = z
  .string()
  .meta({ description: "The invoice PDF.", contentMediaType: "application/pdf", format: "binary" });

/** Characters allowed in the download's file name; invoice numbers use only these. */
const fileNameUnsafe = /[^A-Za-z0-9_-]/g;

export function invoicePdfOperations(runtime: Runtime): Operation[] {
  return [
    operation({
      operationId: "downloadInvoicePdf",
      method: "get",
      path: "/v1/invoices/{invoiceId}/pdf",
      summary:
        "Download a finalized subscription or purchase invoice as a PDF: the same bytes the customer's email carries. Drafts and top-up receipts have none.",
      tag: "Invoices",
      auth: "merchant",
      params: invoiceParams,
      response: pdfBody,
      responseType: "application/pdf",
      status: 200,
      handle: async (ctx, { params }) => {
        const { env, merchantId } = merchantOf(ctx);
        const { number, pdf } = await runtime.invoiceDocuments.renderPdf(env, merchantId, params.invoiceId);
        ctx.set("Content-Disposition", `attachment; filename="${number.replace(fileNameUnsafe, "_")}.pdf"`);
        ctx.set("Cache-Control", "private, no-store");
        return { status: 200, body: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength) };
      },
    }),
  ];
}
