import { DomainError } from "../domain/errors.js";
import { isWholeFen, microsPerFen, parseDecimalToMicros } from "../domain/money.js";

/** A positive amount in yuan with at most two decimals, as fen; `field` names it in the error. */
export function positiveFen(amount: string, field = "amount"): bigint {
  const parsed = parseDecimalToMicros(amount);
  if (!parsed.ok) throw new DomainError("invalid_amount", `${field} ${parsed.reason}`);
  if (!isWholeFen(parsed.micros))
    throw new DomainError("invalid_amount", `${field} must be whole fen (two decimals)`);
  if (parsed.micros <= 0n) throw new DomainError("invalid_amount", `${field} must be greater than zero`);
  return parsed.micros / microsPerFen;
}
