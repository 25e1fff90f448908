/** A cursor-paginated list body: the cursor is the ledger sequence of the last item. */
export function listPage<T extends { sequence: number }>(data: T[], hasMore: boolean) {
  const last = data[data.length - 1];
  return {
    object: "list" as const,
    data,
    hasMore,
    nextCursor: hasMore && last ? String(last.sequence) : null,
  };
}
