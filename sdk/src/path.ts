/**
 * Tag for API paths: every interpolated value becomes exactly one percent-encoded segment,
 * so an externalId like "user/42 中" cannot reach another route. Resource methods are `async`,
 * so a bad ID rejects like every other failure instead of throwing synchronously.
 */
export function path(literals: TemplateStringsArray, ...segments: string[]): string {
  let built = literals[0] ?? "";
  segments.forEach((segment, index) => {
    built += encodeSegment(segment) + (literals[index + 1] ?? "");
  });
  return built;
}

function encodeSegment(segment: string): string {
  // URL parsing collapses "." and ".." (even percent-encoded), so no encoding can carry them.
  if (segment === "" || segment === "." || segment === "..") {
    throw new TypeError(`Invalid ID ${JSON.stringify(segment)}: IDs must be non-empty and not "." or "..".`);
  }
  return encodeURIComponent(segment);
}
