import { z } from "zod";
import { limits } from "../domain/limits.js";

/** Request and response schemas: they validate requests and are the OpenAPI document's only source. */

export const decimalAmount = z
  .string()
  .regex(/^(0|[1-9]\d{0,14})(\.\d{1,6})?$/, "a decimal string with at most 6 decimal places, e.g. \"12.50\"")
  .meta({ id: "DecimalAmount", description: "Money as a decimal string in the currency's units.", example: "12.50" });

const externalId = z
  .string()
  .min(1)
  .max(limits.externalIdLengthMax)
  .refine((v) => v !== "." && v !== "..", "must not be \".\" or \"..\"")
  .meta({ description: "The merchant's own id for the customer.", example: "user_42" });

const isoTime = z.string().meta({ format: "date-time", example: "2026-11-27T08:00:00.000Z" });

export const createMerchantRequest = z
  .object({ name: z.string().trim().min(1).max(limits.nameLengthMax) })
  .strict()
  .meta({ id: "CreateMerchantRequest" });

export const merchantWithKeys = z
  .object({
    id: z.string(),
    object: z.literal("merchant"),
    name: z.string(),
    createdAt: isoTime,
    apiKeys: z.object({ test: z.string(), live: z.string() }).meta({ description: "Shown once; stored hashed." }),
  })
  .meta({ id: "MerchantWithKeys" });

export const createCustomerRequest = z
  .object({
    externalId,
    name: z.string().trim().min(1).max(limits.nameLengthMax).nullish(),
    email: z.email().max(limits.emailLengthMax).nullish(),
  })
  .strict()
  .meta({ id: "CreateCustomerRequest" });

export const customer = z
  .object({
    id: z.string(),
    object: z.literal("customer"),
    externalId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    environment: z.enum(["test", "live"]),
    createdAt: isoTime,
  })
  .meta({ id: "Customer" });

export const externalIdParams = z.object({ externalId });
export const reservationParams = z.object({ externalId, reservationId: z.string().min(1).max(64) });

export const wallet = z
  .object({
    object: z.literal("wallet"),
    customerExternalId: z.string(),
    currency: z.literal("CNY"),
    balance: z.string().meta({ description: "Available + reserved." }),
    reserved: z.string(),
    available: z.string(),
    status: z.enum(["active", "frozen"]),
  })
  .meta({ id: "Wallet" });

export const walletTransaction = z
  .object({
    id: z.string(),
    object: z.literal("wallet_transaction"),
    type: z.enum(["grant", "debit", "reservation", "capture", "release", "expiry", "freeze", "unfreeze"]),
    amount: z.string(),
    balanceAfter: z.string(),
    availableAfter: z.string(),
    reservationId: z.string().nullable(),
    reason: z.string().nullable(),
    description: z.string().nullable(),
    sequence: z.number().int().meta({ description: "The ledger record that holds this transaction." }),
    createdAt: isoTime,
  })
  .meta({ id: "WalletTransaction" });

export const reservation = z
  .object({
    id: z.string(),
    object: z.literal("reservation"),
    amount: z.string(),
    capturedAmount: z.string().nullable(),
    status: z.enum(["active", "captured", "released", "expired"]),
    expiresAt: isoTime,
  })
  .meta({ id: "Reservation" });

export const walletOperation = z
  .object({ wallet, transaction: walletTransaction, reservation: reservation.optional() })
  .meta({ id: "WalletOperation" });

export const transactionList = z
  .object({
    object: z.literal("list"),
    data: z.array(walletTransaction),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "WalletTransactionList" });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(limits.pageSizeMax).default(limits.pageSizeDefault),
  startingAfter: z
    .string()
    .regex(/^\d{1,16}$/)
    .optional()
    .meta({ description: "The nextCursor of the previous page." }),
});

export const grantRequest = z
  .object({ amount: decimalAmount, reason: z.string().trim().min(1).max(limits.reasonLengthMax) })
  .strict()
  .meta({ id: "GrantRequest" });

export const debitRequest = z
  .object({ amount: decimalAmount, description: z.string().max(limits.reasonLengthMax).nullish() })
  .strict()
  .meta({ id: "DebitRequest" });

export const reserveRequest = z
  .object({
    amount: decimalAmount,
    expiresInSeconds: z.number().int().min(1).max(limits.reservationExpirySecondsMax).optional(),
  })
  .strict()
  .meta({ id: "ReserveRequest" });

export const captureRequest = z
  .object({ amount: decimalAmount.optional().meta({ description: "Omit to capture the whole reservation." }) })
  .strict()
  .meta({ id: "CaptureRequest" });

export const emptyRequest = z.object({}).strict().meta({ id: "EmptyRequest" });

export const freezeRequest = z
  .object({ reason: z.string().max(limits.reasonLengthMax).nullish() })
  .strict()
  .meta({ id: "FreezeRequest" });

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });
