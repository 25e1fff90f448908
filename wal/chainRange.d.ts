export type PeekResult =
  | { ok: true; hash: string; prevHash: string; body: string }
  /** broken_chain: the header's previous hash is not the one the hashed body names. */
  | { ok: false; reason: "malformed" | "bad_checksum" | "broken_chain" };

/** Where and how the log stops being trustworthy. */
export type IntegrityFailure =
  | { seq: number; problem: "gap"; found: number | null }
  | { seq: number; problem: "malformed" | "bad_checksum" | "broken_chain" };

/** firstPrevHash: what the range's first record names as its predecessor ("" if unread). */
export type RangeResult =
  | { ok: true; firstPrevHash: string; lastHash: string }
  | ({ ok: false; firstPrevHash: string } & IntegrityFailure);

/** Bytes a chunk of records read ahead may hold (LevelDB's highWaterMarkBytes). */
export const readChunkBytes: number;

/** What verifyRange needs of a LevelDB handle: a string-keyed, string-valued ranged iterator. */
export interface RangeReader {
  iterator(options: {
    gte: string;
    lte: string;
    keys: boolean;
    fillCache: boolean;
    highWaterMarkBytes: number;
  }): {
    /** Entries as [key, value]; the key is undefined when read with `keys: false`. */
    nextv(size: number): Promise<Array<[string | undefined, string]>>;
    close(): Promise<void>;
  };
}

export function peekRecord(value: string): PeekResult;

export function verifyRange(
  db: RangeReader,
  fromSeq: number,
  toSeq: number,
  onProgress?: (seq: number) => void,
): Promise<RangeResult>;
