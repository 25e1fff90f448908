// @ts-check
// Plain JavaScript on purpose: verification worker threads load this file directly, without the
// TypeScript loader (which would add ~0.5 s to every worker's start). Types are in chainRange.d.ts.
import { hash } from "node:crypto";
import { recordKey } from "./keyLayout.js";

const hashLength = 64;
const bodyStart = hashLength * 2 + 2;
const chunkRecords = 1_000;
/** Bytes a chunk may hold: a chunk of small records is whole, one of large usage batches short. */
export const readChunkBytes = 1024 * 1024;

/**
 * A stored record's header lines and checksum, without parsing its JSON body.
 * @param {string} value
 * @returns {import("./chainRange.js").PeekResult}
 */
export function peekRecord(value) {
  if (value.length <= bodyStart || value[hashLength] !== "\n" || value[hashLength * 2 + 1] !== "\n") {
    return { ok: false, reason: "malformed" };
  }
  const recordHash = value.slice(0, hashLength);
  const body = value.slice(bodyStart);
  if (hash("sha256", body, "hex") !== recordHash) return { ok: false, reason: "bad_checksum" };
  const prevHash = value.slice(hashLength + 1, hashLength * 2 + 1);
  // The hash covers the body's own prevHash, not the header's: the chain holds only if they agree.
  // The last `"prevHash":"` of a canonical body is the record's own (only touches and seq follow it;
  // a quote inside a string is escaped), so this reads a few characters from the end.
  const at = body.lastIndexOf(prevHashMember) + prevHashMember.length;
  if (
    at < prevHashMember.length ||
    !body.startsWith(prevHash, at) ||
    body.charCodeAt(at + hashLength) !== quote
  ) {
    return { ok: false, reason: "broken_chain" };
  }
  return { ok: true, hash: recordHash, prevHash, body };
}

const prevHashMember = '"prevHash":"';
const quote = 34;

/**
 * Checks records fromSeq..toSeq: contiguous sequence, checksums, and the chain inside the range.
 * Whether the range chains to the one before it is the caller's check (firstPrevHash).
 * Values are read without their keys (a tenth less work): the chain and the count catch a missing
 * record. Only when something fails is the range read again with keys, to name what and where.
 * @param {import("./chainRange.js").RangeReader} db
 * @param {number} fromSeq
 * @param {number} toSeq
 * @param {(seq: number) => void} [onProgress]
 * @returns {Promise<import("./chainRange.js").RangeResult>}
 */
export async function verifyRange(db, fromSeq, toSeq, onProgress) {
  const result = await checkRange(db, fromSeq, toSeq, false, onProgress);
  if (result.ok) return result;
  const diagnosed = await checkRange(db, fromSeq, toSeq, true);
  return diagnosed.ok ? result : diagnosed;
}

/**
 * @param {import("./chainRange.js").RangeReader} db
 * @param {number} fromSeq
 * @param {number} toSeq
 * @param {boolean} withKeys
 * @param {(seq: number) => void} [onProgress]
 * @returns {Promise<import("./chainRange.js").RangeResult>}
 */
async function checkRange(db, fromSeq, toSeq, withKeys, onProgress) {
  let expected = fromSeq;
  let firstPrevHash = "";
  let lastHash = "";
  const iterator = db.iterator({
    gte: recordKey(fromSeq),
    lte: recordKey(toSeq),
    keys: withKeys,
    fillCache: false,
    // Without it nextv stops at 16 KiB (about 18 records): reading runs 2× slower.
    highWaterMarkBytes: readChunkBytes,
  });
  // The next chunk is read (on LevelDB's thread) while this one is checked.
  let next = iterator.nextv(chunkRecords);
  try {
    for (;;) {
      const entries = await next;
      if (entries.length === 0) break;
      next = iterator.nextv(chunkRecords);
      for (const [key, value] of entries) {
        const seq = withKeys ? Number(key?.slice(2)) : expected;
        if (seq !== expected) return { ok: false, seq: expected, problem: "gap", found: seq, firstPrevHash };
        const peeked = peekRecord(value);
        if (!peeked.ok) return { ok: false, seq, problem: peeked.reason, firstPrevHash };
        if (seq === fromSeq) firstPrevHash = peeked.prevHash;
        else if (peeked.prevHash !== lastHash)
          return { ok: false, seq, problem: "broken_chain", firstPrevHash };
        lastHash = peeked.hash;
        expected += 1;
        if (onProgress && seq % 100_000 === 0) onProgress(seq);
      }
    }
  } finally {
    // A chunk still being read when we stop early (a bad record).
    await next.catch(() => []);
    await iterator.close();
  }
  if (expected <= toSeq) return { ok: false, seq: expected, problem: "gap", found: null, firstPrevHash };
  return { ok: true, firstPrevHash, lastHash };
}
