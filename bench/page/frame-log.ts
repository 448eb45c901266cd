/**
 * Every frame's latency sample, kept by the bench page for its figures. Columns of doubles in
 * blocks of BLOCK rows: while a run goes, the page's bookkeeping grows by 32 bytes a frame in
 * one 256 KiB allocation every BLOCK frames, not by a JS array per frame (which had put
 * 8 MB of the bench's own objects on the page's heap in a 30-minute soak, inside the slope
 * it measures). The figures' arrays are made once, after the run.
 */
const BLOCK = 8192;

export class FrameLog {
  private readonly blocks: Float64Array[] = []; // 4 columns a block: t, ms, frame, lateness (NaN: none)
  length = 0;

  add(t: number, ms: number, frame: number, lateness: number): void {
    const row = this.length % BLOCK;
    if (row === 0) this.blocks.push(new Float64Array(4 * BLOCK));
    const b = this.blocks[this.blocks.length - 1]!;
    b[row] = t;
    b[BLOCK + row] = ms;
    b[2 * BLOCK + row] = frame;
    b[3 * BLOCK + row] = lateness;
    this.length++;
  }

  /** Calls `fn` for every row, in order. */
  forEach(fn: (t: number, ms: number, frame: number, lateness: number) => void): void {
    for (let i = 0; i < this.length; i++) {
      const b = this.blocks[Math.floor(i / BLOCK)]!, row = i % BLOCK;
      fn(b[row]!, b[BLOCK + row]!, b[2 * BLOCK + row]!, b[3 * BLOCK + row]!);
    }
  }
}
