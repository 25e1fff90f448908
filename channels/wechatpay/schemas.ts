import { z } from "zod";

/** The parts of WeChat Pay v3 payloads the adapter reads. Unknown fields are ignored. */

const fen = z.number().int().min(0);

export const tradeStates = [
  "SUCCESS",
  "REFUND",
  "NOTPAY",
  "CLOSED",
  "REVOKED",
  "USERPAYING",
  "PAYERROR",
] as const;

export const transactionSchema = z.object({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_type: z.string().optional(),
  trade_state: z.enum(tradeStates),
  trade_state_desc: z.string().optional(),
  bank_type: z.string().optional(),
  attach: z.string().optional(),
  success_time: z.string().optional(),
  payer: z.object({ openid: z.string().optional() }).optional(),
  amount: z
    .object({
      total: fen.optional(),
      payer_total: fen.optional(),
      currency: z.string().optional(),
      payer_currency: z.string().optional(),
    })
    .optional(),
});

export type Transaction = z.infer<typeof transactionSchema>;

export const refundStatuses = ["SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL"] as const;

export const refundSchema = z.object({
  refund_id: z.string(),
  out_refund_no: z.string(),
  transaction_id: z.string(),
  out_trade_no: z.string(),
  channel: z.string().optional(),
  user_received_account: z.string().optional(),
  success_time: z.string().optional(),
  create_time: z.string(),
  status: z.enum(refundStatuses),
  funds_account: z.string().optional(),
  amount: z.object({
    total: fen,
    refund: fen,
    payer_total: fen.optional(),
    payer_refund: fen.optional(),
    settlement_total: fen.optional(),
    settlement_refund: fen.optional(),
    discount_refund: fen.optional(),
    currency: z.string(),
  }),
});

export type Refund = z.infer<typeof refundSchema>;

export const errorBodySchema = z.object({
  code: z.string(),
  message: z.string().default(""),
  detail: z.unknown().optional(),
});

export const nativeResponseSchema = z.object({ code_url: z.string().min(1) });
export const jsapiResponseSchema = z.object({ prepay_id: z.string().min(1) });
export const h5ResponseSchema = z.object({ h5_url: z.string().min(1) });

export const tradeBillResponseSchema = z.object({
  hash_type: z.literal("SHA1"),
  hash_value: z.string(),
  download_url: z.string().url(),
});

export const certificatesResponseSchema = z.object({
  data: z.array(
    z.object({
      serial_no: z.string(),
      effective_time: z.string(),
      expire_time: z.string(),
      encrypt_certificate: z.object({
        algorithm: z.string(),
        nonce: z.string(),
        associated_data: z.string(),
        ciphertext: z.string(),
      }),
    }),
  ),
});

export const notificationSchema = z.object({
  id: z.string(),
  create_time: z.string(),
  resource_type: z.literal("encrypt-resource"),
  event_type: z.string(),
  summary: z.string().optional(),
  resource: z.object({
    original_type: z.string(),
    algorithm: z.literal("AEAD_AES_256_GCM"),
    ciphertext: z.string(),
    associated_data: z.string().default(""),
    nonce: z.string(),
  }),
});

export const refundNotifyResourceSchema = z.object({
  mchid: z.string(),
  transaction_id: z.string(),
  out_trade_no: z.string(),
  refund_id: z.string(),
  out_refund_no: z.string(),
  refund_status: z.enum(refundStatuses),
  success_time: z.string().optional(),
  user_received_account: z.string().optional(),
  amount: z.object({ total: fen, refund: fen, payer_total: fen.optional(), payer_refund: fen.optional() }),
});
