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
