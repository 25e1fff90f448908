import { z } from "zod";
import type { Runtime } from "../../actors/index.js";
import { DomainError } from "../../domain/errors.js";
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
        const { number, pdf } = await runtime.invoiceDocuments
          .renderPdf(env, merchantId, params.invoiceId)
          .catch(async (error: unknown) => {
            // A top-up's invoice lives with its payment: it exists, and has no PDF.
            if (
              error instanceof DomainError &&
              error.code === "invoice_not_found" &&
              (await runtime.payments.isTopUpInvoice(env, merchantId, params.invoiceId))
            ) {
              throw new DomainError(
                "invoice_not_finalized",
                `invoice ${params.invoiceId} is a top-up: it has no PDF (its payment is its record)`,
              );
            }
            throw error;
          });
        ctx.set("Content-Disposition", `attachment; filename="${number.replace(fileNameUnsafe, "_")}.pdf"`);
        ctx.set("Cache-Control", "private, no-store");
        return { status: 200, body: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength) };
      },
    }),
  ];
}
