/** Operating errors of rating: stable codes the API maps to HTTP; programmer errors throw instead. */
export type RatingErrorCode =
  | "invalid_rate_card"
  | "unsupported_currency"
  | "invalid_amount"
  | "invalid_quantity"
  | "invalid_tiers"
  | "duplicate_price"
  | "price_not_found"
  | "quantity_too_large"
  | "amount_too_large";

export type RatingFailure = {
  readonly ok: false;
  readonly code: RatingErrorCode;
  readonly message: string;
  /** Where in the input the problem is, e.g. "prices[2].tiers[1].upTo". */
  readonly path: string;
};

export type RatingResult<T> = { readonly ok: true; readonly value: T } | RatingFailure;

export function ratingError(code: RatingErrorCode, path: string, message: string): RatingFailure {
  return { ok: false, code, message, path };
}
