/**
 * Encoded bytes from an encode worker to the page through shared memory. Posting each chunk
 * as a buffer of its own made garbage per frame that the encode worker, which allocates little
 * else, collects rarely (measured: a transfer leaves ≈ 257 B of Oilpan objects a message, 7.9 MB
 * per encode worker in a 30-minute soak; a copy leaves the dead buffer instead, up to 44 MB per
 * worker before V8 collects). So the encoder copies each chunk into this ring straight from
 * its codec's output and posts only its length; the page copies it out into the buffer it
 * keeps. Bounded: a writer that finds the ring full waits for the page, so at most the ring's
 * capacity of encoded output waits between them.
 *
 * Layout: Int32 [USED, PEAK, HEAD] then the bytes. One writer at a time (the lane's encode
 * worker; a replacement continues at HEAD) and one reader (the page), in message order: the
 * reader reads a chunk's bytes when its message arrives.
 */

const USED = 0; // bytes written and not yet read
const PEAK = 1; // the most bytes ever waiting (the report's bound)
const HEAD = 2; // where the next write goes
const HEADER_INTS = 4;
const HEADER_BYTES = HEADER_INTS * 4;

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

  constructor(buffer: SharedArrayBuffer, private readonly timeoutMs = 30_000) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.head = Atomics.load(this.header, HEAD);
  }

  get capacity(): number {
    return this.data.length;
  }

  /**
   * Copies `bytes` (at most `capacity`) into the ring, waiting while it lacks room. The caller
   * then posts the length, in order. Allocates only when the copy wraps (two views, once per
   * capacity of output).
   */
  write(bytes: Uint8Array): void {
    const n = bytes.length;
    const cap = this.data.length;
    if (n > cap) throw new RangeError(`a chunk of ${n} bytes does not fit an output ring of ${cap}`);
    this.waitForRoom(n);
    const first = Math.min(n, cap - this.head);
    if (first === n) this.data.set(bytes, this.head);
    else {
      this.data.set(bytes.subarray(0, first), this.head);
      this.data.set(bytes.subarray(first), 0);
    }
    this.head = (this.head + n) % cap;
    Atomics.store(this.header, HEAD, this.head);
    const used = Atomics.add(this.header, USED, n) + n;
    if (used > Atomics.load(this.header, PEAK)) Atomics.store(this.header, PEAK, used);
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

export class OutputRingReader {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private tail = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** The next `n` bytes, in a buffer of their own (allocates: the page keeps its output), and frees their room. */
  read(n: number): Uint8Array<ArrayBuffer> {
    const cap = this.data.length;
    const out = new Uint8Array(n);
    const first = Math.min(n, cap - this.tail);
    out.set(this.data.subarray(this.tail, this.tail + first));
    if (first < n) out.set(this.data.subarray(0, n - first), first);
    this.tail = (this.tail + n) % cap;
    Atomics.sub(this.header, USED, n);
    Atomics.notify(this.header, USED);
    return out;
  }

  /** The most bytes that ever waited in the ring. */
  peakBytes(): number {
    return Atomics.load(this.header, PEAK);
  }
}
