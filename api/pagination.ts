import { DomainError } from "../domain/errors.js";

/** A cursor-paginated list body: the cursor is the ledger sequence of the last item. */
export function listPage<T extends { sequence: number }>(data: T[], hasMore: boolean) {
  return listPageAt(data, hasMore, data[data.length - 1]?.sequence ?? null);
}

/**
 * The same body for items that do not show their cursor: the caller names the last one's (a ledger
 * sequence, or an id for lists in id order).
 */
export function listPageAt<T>(data: T[], hasMore: boolean, lastCursor: number | string | null) {
  return {
    object: "list" as const,
    data,
    hasMore,
    nextCursor: hasMore && lastCursor !== null ? String(lastCursor) : null,
  };
}

/**
 * One page of a short list read whole (a customer's subscriptions or purchases, bounded): newest
 * first by creation time, then id; `startingAfter` is the id of the previous page's last item.
 */
export function pageNewestFirst<T>(
  items: readonly T[],
  keyOf: (item: T) => { id: string; createdAt: number },
  query: { limit: number; startingAfter?: string | undefined },
) {
  const sorted = [...items].sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    return y.createdAt - x.createdAt || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0);
  });
  let from = 0;
  if (query.startingAfter !== undefined) {
    const at = sorted.findIndex((item) => keyOf(item).id === query.startingAfter);
    if (at < 0)
      throw new DomainError("invalid_request", `startingAfter: ${query.startingAfter} is not in this list`);
    from = at + 1;
  }
  const data = sorted.slice(from, from + query.limit);
  const last = data[data.length - 1];
  return {
    data,
    hasMore: from + query.limit < sorted.length,
    lastId: last === undefined ? null : keyOf(last).id,
  };
}
