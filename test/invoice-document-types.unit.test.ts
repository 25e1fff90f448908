import { describe, expect, it } from "vitest";
import type {
  InvoiceDocumentData,
  InvoiceMailSendResult,
  InvoiceMailSentInfo,
  InvoiceMailSentStore,
} from "../actors/index.js";
import type { InvoiceDocument, SendOnceResult, SentInfo, SentStore } from "../effects/index.js";

/**
 * actors/ may not import effects/, so it re-declares the shapes it hands over. These checks fail
 * to compile (`npx tsc`) the moment either side changes without the other.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Fits<A, B> = [A] extends [B] ? true : false;
/** Assignability ignores an optional field one side lacks; the field names catch it. */
type SameKeys<A, B> = Same<keyof A, keyof B>;
type Doc = InvoiceDocumentData;
type EffectsDoc = InvoiceDocument;

const documentsAgree: Same<InvoiceDocumentData, InvoiceDocument> = true;
const lineAgrees: Same<InvoiceDocumentData["lines"][number], InvoiceDocument["lines"][number]> = true;
const paymentAgrees: Same<
  NonNullable<InvoiceDocumentData["payment"]>,
  NonNullable<InvoiceDocument["payment"]>
> = true;
const fieldsAgree: [
  SameKeys<Doc, EffectsDoc>,
  SameKeys<Doc["merchant"], EffectsDoc["merchant"]>,
  SameKeys<Doc["customer"], EffectsDoc["customer"]>,
  SameKeys<Doc["lines"][number], EffectsDoc["lines"][number]>,
  SameKeys<NonNullable<Doc["payment"]>, NonNullable<EffectsDoc["payment"]>>,
  SameKeys<InvoiceMailSentInfo, SentInfo>,
] = [true, true, true, true, true, true];
const sentInfoAgrees: Same<InvoiceMailSentInfo, SentInfo> = true;
const sentStoreAgrees: Same<InvoiceMailSentStore, SentStore> = true;
const mailerAnswerFits: Fits<SendOnceResult, InvoiceMailSendResult> = true;

describe("the invoice shapes actors/ re-declares", () => {
  it("are the effects' shapes (checked by the compiler)", () => {
    expect([
      documentsAgree,
      lineAgrees,
      paymentAgrees,
      sentInfoAgrees,
      sentStoreAgrees,
      mailerAnswerFits,
      ...fieldsAgree,
    ]).not.toContain(false);
  });
});
