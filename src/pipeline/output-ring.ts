/**
 * Encoded bytes from an encode worker to the page through shared memory, with no message per
 * chunk. Posting each chunk as a buffer of its own made garbage per frame that the encode
 * worker, which allocates little else, collects rarely (measured: a transfer leaves ≈ 257 B of
 * Oilpan objects a message, 7.9 MB per encode worker in a 30-minute soak; a copy leaves the dead
 * buffer instead, up to 44 MB per worker before V8 collects); even a message carrying only the
 * chunk's length left Blink objects per frame. So the encoder copies each chunk into this ring
 * straight from its codec's output, as a record (segment, length, bytes), and wakes the page
 * through the ring's WRITES word (Atomics.notify: nothing in the worker's heaps); the page
 * copies the records out into the buffers it keeps. Bounded: a writer that finds the ring full
 * waits for the page, so at most the ring's capacity of encoded output waits between them.
 *
 * Layout: Int32 [USED, PEAK, HEAD, WRITES] then the records, each an 8-byte header (segment,
 * length: Int32 in the platform's byte order) and its bytes, wrapping at the end. One writer at
 * a time (the lane's encode worker; a replacement continues at HEAD) and one reader (the page).
 * A record is counted in USED only once it is whole, so the reader never sees half of one.
 */

const USED = 0; // bytes of whole records written and not yet read
const PEAK = 1; // the most bytes ever waiting (the report's bound)
const HEAD = 2; // where the next record goes
const WRITES = 3; // records written so far (wraps): the word the page waits on
const HEADER_INTS = 4;
const HEADER_BYTES = HEADER_INTS * 4;
/** Each record's own header: segment and length. */
export const RECORD_HEADER_BYTES = 8;

/** 4 MiB: more than a second of 1080p output, a few hundred 480p frames. */
export const OUTPUT_RING_BYTES = 4 * 1024 * 1024;

export function createOutputRing(capacity = OUTPUT_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

/** Thrown when the page read nothing for `timeoutMs` while the ring was full. */
export class OutputRingStalled extends Error {}

export class OutputRingWriter {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private head: number;
  // A record's header, built here and copied in like its bytes (reused: nothing per chunk).
  private readonly recordHeader = new Uint8Array(RECORD_HEADER_BYTES);
  private readonly recordFields = new Int32Array(this.recordHeader.buffer);

  constructor(buffer: SharedArrayBuffer, private readonly timeoutMs = 30_000) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.head = Atomics.load(this.header, HEAD);
  }

  /** The largest chunk one record can carry. */
  get maxChunkBytes(): number {
    return this.data.length - RECORD_HEADER_BYTES;
  }

  /**
   * Copies `bytes` (at most `maxChunkBytes`) into the ring as segment `segment`'s next chunk,
   * waiting while it lacks room, and wakes the page. Allocates only when a copy wraps (two
   * views, once per capacity of output).
   */
  write(segment: number, bytes: Uint8Array): void {
    const n = RECORD_HEADER_BYTES + bytes.length;
    if (bytes.length > this.maxChunkBytes) throw new RangeError(`a chunk of ${bytes.length} bytes does not fit an output ring of ${this.data.length}`);
    this.waitForRoom(n);
    this.recordFields[0] = segment;
    this.recordFields[1] = bytes.length;
    this.copyIn(this.recordHeader);
    this.copyIn(bytes);
    Atomics.store(this.header, HEAD, this.head);
    const used = Atomics.add(this.header, USED, n) + n;
    if (used > Atomics.load(this.header, PEAK)) Atomics.store(this.header, PEAK, used);
    Atomics.add(this.header, WRITES, 1);
    Atomics.notify(this.header, WRITES);
  }

  private copyIn(bytes: Uint8Array): void {
    const n = bytes.length;
    const cap = this.data.length;
    const first = Math.min(n, cap - this.head);
    if (first === n) this.data.set(bytes, this.head);
    else {
      this.data.set(bytes.subarray(0, first), this.head);
      this.data.set(bytes.subarray(first), 0);
    }
    this.head = (this.head + n) % cap;
  }

  private waitForRoom(n: number): void {
    const cap = this.data.length;
    let waitedMs = 0;
    for (let used = Atomics.load(this.header, USED); cap - used < n; used = Atomics.load(this.header, USED)) {
      if (waitedMs >= this.timeoutMs) throw new OutputRingStalled(`the page read no encoded output for ${Math.round(this.timeoutMs / 1000)} s while ${used} bytes waited`);
      Atomics.wait(this.header, USED, used, 100);
      waitedMs += 100;
    }
  }
}

/** Where the page's reader hands each chunk: segment index and bytes (its own buffer). */
export type TakeChunk = (segment: number, bytes: Uint8Array<ArrayBuffer>) => void;

export class OutputRingReader {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private tail = 0;
  private readonly recordHeader = new Uint8Array(RECORD_HEADER_BYTES);
  private readonly recordFields = new Int32Array(this.recordHeader.buffer);

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /**
   * Hands every whole record now in the ring to `take`, in order, each chunk in a buffer of
   * its own (allocates: the page keeps its output), freeing its room. Returns how many.
   */
  drain(take: TakeChunk): number {
    let records = 0;
    while (Atomics.load(this.header, USED) > 0) {
      this.copyOut(this.recordHeader);
      const segment = this.recordFields[0]!;
      const bytes = new Uint8Array(this.recordFields[1]!);
      this.copyOut(bytes);
      Atomics.sub(this.header, USED, RECORD_HEADER_BYTES + bytes.length);
      Atomics.notify(this.header, USED); // a writer waiting for room
      records++;
      take(segment, bytes);
    }
    return records;
  }

  /**
   * Drains the ring each time a writer wakes it (Atomics.waitAsync on WRITES; every second as
   * well, should a wake be missed) until the returned function is called. A pending wait holds
   * the ring's memory, so the page must call it when the run ends. If `take` throws, following
   * ends and `failed` hears why.
   */
  follow(take: TakeChunk, failed: (error: unknown) => void): () => void {
    let following = true;
    void (async () => {
      while (following) {
        const seen = Atomics.load(this.header, WRITES);
        this.drain(take);
        const wait = Atomics.waitAsync(this.header, WRITES, seen, 1000);
        if (wait.async) await wait.value;
      }
    })().catch(failed);
    return () => {
      following = false;
      Atomics.notify(this.header, WRITES); // ends the pending wait now
    };
  }

  /** The most bytes that ever waited in the ring (records with their 8-byte headers). */
  peakBytes(): number {
    return Atomics.load(this.header, PEAK);
  }

  private copyOut(into: Uint8Array): void {
    const n = into.length;
    const cap = this.data.length;
    const first = Math.min(n, cap - this.tail);
    into.set(this.data.subarray(this.tail, this.tail + first));
    if (first < n) into.set(this.data.subarray(0, n - first), first);
    this.tail = (this.tail + n) % cap;
  }
}
