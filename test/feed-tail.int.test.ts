import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordFeed } from "../actors/feed.js";
import { RecordTail } from "../actors/recordTail.js";
import { Log, type CommittedRecord } from "../wal/index.js";
import { draft } from "./support/draft.js";
import { tempDir } from "./support/tempDir.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let log: Log;
let feed: RecordFeed;
let n = 0;

beforeEach(async () => {
  dir = await tempDir();
  log = await Log.open(dir.path);
  feed = new RecordFeed();
});
afterEach(async () => {
  await log.close();
  await dir.remove();
});

/** Appends records; they are durable once this resolves. Publishing is left to the test. */
async function append(count: number): Promise<CommittedRecord[]> {
  return Promise.all(Array.from({ length: count }, () => log.append(draft(++n), log.now())));
}

const publish = (records: CommittedRecord[]) => records.forEach((r) => feed.publish(r));

/** Pulls until caught up; returns the sequences handed out. */
async function drain(tail: RecordTail): Promise<number[]> {
  const seqs: number[] = [];
  for (;;) {
    const batch = await tail.pull();
    if (!batch) return seqs;
    seqs.push(...batch.records.map((r) => r.seq));
    if (batch.caughtUp && log.durableHead === batch.through) return seqs;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("a record tail", () => {
  it("reads history from the log, then live records, each exactly once", async () => {
    publish(await append(10));
    const tail = new RecordTail(log, feed, { afterSeq: 3, accepts: () => true, backlogRecordsMax: 100 });
    expect(await drain(tail)).toEqual(range(4, 10));
    const live = tail.pull();
    publish(await append(5));
    expect((await live)?.records.map((r) => r.seq)).toEqual(range(11, 15));
    tail.close();
    expect(await tail.pull()).toBeNull();
  });

  it("fills from the log a record that was never published, or was published out of order", async () => {
    publish(await append(2));
    const tail = new RecordTail(log, feed, { afterSeq: 0, accepts: () => true, backlogRecordsMax: 100 });
    expect(await drain(tail)).toEqual([1, 2]);
    const [third, fourth, fifth, sixth] = await append(4);
    if (!third || !fourth || !fifth || !sixth) throw new Error("append failed");
    publish([fourth, third, sixth]);
    const seen = await drain(tail);
    publish([fifth, third]);
    expect([...seen, ...(await drainNow(tail))]).toEqual(range(3, 6));
  });

  it("falls back to the log when its backlog overflows, losing nothing", async () => {
    const tail = new RecordTail(log, feed, { afterSeq: 0, accepts: () => true, backlogRecordsMax: 3 });
    expect(await drain(tail)).toEqual([]);
    publish(await append(20));
    expect(await drain(tail)).toEqual(range(1, 20));
  });

  it("skips records it does not accept and reads again after a rewind", async () => {
    publish(await append(12));
    const even = (r: CommittedRecord) => r.seq % 2 === 0;
    const tail = new RecordTail(log, feed, { afterSeq: 0, accepts: even, backlogRecordsMax: 100 });
    expect(await drain(tail)).toEqual([2, 4, 6, 8, 10, 12]);
    tail.rewind(7);
    expect(await drain(tail)).toEqual([8, 10, 12]);
  });

  it("tells a reader that stops pulling when its backlog overflows", async () => {
    let overflowed = 0;
    const tail = new RecordTail(log, feed, {
      afterSeq: 0,
      accepts: () => true,
      backlogRecordsMax: 5,
      onOverflow: () => (overflowed += 1) > 0,
    });
    expect(await drain(tail)).toEqual([]);
    publish(await append(6));
    expect(overflowed).toBe(1);
  });
});

/** Whatever is already buffered or durable, without waiting for more. */
async function drainNow(tail: RecordTail): Promise<number[]> {
  if (tail.through >= log.durableHead) return [];
  return drain(tail);
}
