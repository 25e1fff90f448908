// @ts-check
// The ledger store's key layout, in plain JavaScript so that worker threads (which load their files
// without the TypeScript loader) share it with keys.ts instead of repeating it.

/** Digits of a sequence in a key: keys sort in sequence order. */
export const seqWidth = 16;

/** @param {number} seq */
export const padSeq = (seq) => seq.toString().padStart(seqWidth, "0");

/** @param {number} seq */
export const recordKey = (seq) => `l!${padSeq(seq)}`;

/**
 * @param {string} entity
 * @param {number} seq
 */
export const entityRecordKey = (entity, seq) => `e!${entity}!${padSeq(seq)}`;

/** @param {string} name */
export const metaKey = (name) => `m!${name}`;

/** In the entity index: the highest sequence whose entries are all written, written with them. */
export const indexedThroughKey = metaKey("indexed_through");
/** In the entity index: the format of the values kept beside entries, written with them. */
export const entryValuesFormatKey = metaKey("entry_values");
