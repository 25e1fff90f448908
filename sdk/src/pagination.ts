import type { ListPage } from "./types.js";

/** Yields every item of a cursor-paginated list, fetching the next page only when needed. */
export async function* autoPaginate<T>(
  fetchPage: (startingAfter: string | undefined) => Promise<ListPage<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.data;
    cursor = page.hasMore && page.nextCursor !== null ? page.nextCursor : undefined;
  } while (cursor !== undefined);
}
