/** A cursor-paginated list body: the cursor is the ledger sequence of the last item. */
export function listPage<T extends { sequence: number }>(data: T[], hasMore: boolean) {
  return listPageAt(data, hasMore, data[data.length - 1]?.sequence ?? null);
}

/** The same body for items that do not show their sequence: the caller names the last one's. */
export function listPageAt<T>(data: T[], hasMore: boolean, lastSequence: number | null) {
  return {
    object: "list" as const,
    data,
    hasMore,
    nextCursor: hasMore && lastSequence !== null ? String(lastSequence) : null,
  };
}
