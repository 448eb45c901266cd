/**
 * Output straight to disk: a run's encoded segments go to the origin-private file system
 * (OPFS) chunk by chunk as they arrive, through the main thread's `createWritable()`, so the
 * page holds a chunk only until it is written (not every segment of a long run). The list
 * reads each segment back as a `File` from OPFS, for play and download.
 *
 * Layout: `framepool-output/<run>/segment-NNNN` in the origin's OPFS root. A page holds the
 * Web Lock `framepool-output:<run>` for each of its runs while it lists them, so a page that
 * loads later can tell its own leftovers (no lock: the page that wrote them is gone) from
 * another tab's live output; it removes the leftovers (removeStaleOutput).
 */
import type { SegmentSink } from '../pipeline/segment-collector.ts';

export type KeepOutput = 'memory' | 'disk';

const ROOT = 'framepool-output';
const LOCK_PREFIX = 'framepool-output:';

/** OPFS with writable streams (Chromium 86+, Firefox 111+, Safari 26+); absent in Node and older browsers. */
export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' && 'createWritable' in FileSystemFileHandle.prototype &&
    typeof navigator.locks?.request === 'function';
}

/** The page's choice (the Output panel's *Keep output*), read when a run starts: disk where OPFS exists. */
export const keepOutput: { value: KeepOutput } = { value: opfsAvailable() ? 'disk' : 'memory' };

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** One segment on its way to disk; `memory` once writing failed (its bytes are kept here instead). */
interface Writing {
  handle: Promise<FileSystemFileHandle>;
  stream: Promise<FileSystemWritableFileStream>;
  /** Every write so far, in order. */
  written: Promise<void>;
  bytesWritten: number;
  memory: BlobPart[] | null;
  lost: boolean;
}

/** One run's output on disk. Chunks are written in order per segment; finish() gives the segment back as a Blob over the OPFS file. */
export class DiskOutput implements SegmentSink {
  private readonly writing = new Map<number, Writing>();
  /** Why writing to disk failed, once it did (the rest of the run is kept in memory). */
  failure: string | null = null;
  private removed: Promise<void> | null = null;

  private constructor(private readonly dir: FileSystemDirectoryHandle, readonly name: string, private readonly unlock: () => void) {}

  /** A directory of its own for one run, locked for this page's life (or until remove()). */
  static async open(): Promise<DiskOutput> {
    await staleRemoval?.catch(() => {}); // so it cannot take this run's directory for a leftover
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
    const name = `run-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const unlock = await holdLock(LOCK_PREFIX + name);
    try {
      return new DiskOutput(await root.getDirectoryHandle(name, { create: true }), name, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }

  chunk(segment: number, bytes: Uint8Array): void {
    const w = this.writing.get(segment) ?? this.start(segment);
    // Always through the chain, even once in memory: a failed write is still falling back (the
    // part on disk read back first), and the chunks must stay in order behind it.
    // allocates: a promise per chunk (main thread, per encoded frame; the chunk goes once written).
    w.written = w.written.then(async () => {
      if (w.memory) {
        keep(w, bytes);
        return;
      }
      try {
        await (await w.stream).write(bytes as Uint8Array<ArrayBuffer>);
        w.bytesWritten += bytes.byteLength;
      } catch (error) {
        await this.fallBack(w, error);
        keep(w, bytes);
      }
    });
  }

  /**
   * Segment `segment` has closed (all its chunks were given): its file (on disk, or in memory
   * after a failure), or null when its bytes were lost (what was written could not be read back).
   */
  async finish(segment: number, mimeType: string): Promise<{ data: Blob; onDisk: boolean } | null> {
    const w = this.writing.get(segment) ?? this.start(segment);
    this.writing.delete(segment);
    await w.written;
    if (!w.memory) {
      try {
        await (await w.stream).close();
        // A Blob over the OPFS file: a reference, not a copy into the page.
        return { data: new Blob([await (await w.handle).getFile()], { type: mimeType }), onDisk: true };
      } catch (error) {
        await this.fallBack(w, error);
      }
    }
    return w.lost ? null : { data: new Blob(w.memory ?? [], { type: mimeType }), onDisk: false };
  }

  /** Segment `segment` closed with no frame: abort its file (a createWritable stream's abort leaves the file empty) and delete it. */
  discard(segment: number): void {
    const w = this.writing.get(segment);
    this.writing.delete(segment);
    if (!w) return;
    w.written = w.written.then(async () => {
      await (await w.stream.catch(() => null))?.abort().catch(() => {});
      await this.dir.removeEntry(segmentFile(segment)).catch(() => {});
    });
  }

  /** Deletes this run's files and lets go of its lock (the list no longer shows them). Once; later calls wait for it. */
  remove(): Promise<void> {
    this.removed ??= this.removeNow();
    return this.removed;
  }

  private async removeNow(): Promise<void> {
    try {
      for (const w of this.writing.values()) await (await w.stream.catch(() => null))?.abort().catch(() => {});
      this.writing.clear();
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT);
      await root.removeEntry(this.name, { recursive: true });
    } finally {
      this.unlock();
    }
  }

  private start(segment: number): Writing {
    const handle = this.dir.getFileHandle(segmentFile(segment), { create: true });
    const stream = handle.then((h) => h.createWritable());
    const w: Writing = { handle, stream, written: Promise.resolve(), bytesWritten: 0, memory: null, lost: false };
    stream.catch(() => {}); // seen (and handled) by the first write
    if (this.failure) w.memory = [];
    this.writing.set(segment, w);
    return w;
  }

  /** Writing failed: keep what reached the file (read back) and the rest in memory, and say so once. */
  private async fallBack(w: Writing, error: unknown): Promise<void> {
    if (w.memory) return;
    w.memory = [];
    this.failure ??= describe(error);
    if (w.bytesWritten === 0) return;
    try {
      await (await w.stream).close(); // commits what was written before the failure
      w.memory.push(await (await w.handle).getFile());
    } catch {
      w.lost = true; // its first bytes are gone: what follows would not play
    }
  }
}

/** A segment's file name in its run's directory. */
const segmentFile = (segment: number): string => `segment-${String(segment).padStart(4, '0')}`;

/** Keeps a chunk in memory (a segment whose writing failed). */
function keep(w: Writing, bytes: Uint8Array): void {
  w.memory?.push(bytes as Uint8Array<ArrayBuffer>);
}

/** Holds a Web Lock until the returned function is called. */
function holdLock(name: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        reject(new Error(`the output lock ${name} is held elsewhere`));
        return undefined;
      }
      return new Promise<void>((release) => resolve(release));
    }).catch(reject);
  });
}

/**
 * Removes output left by pages that are gone (run directories whose lock nobody holds); another
 * tab's live runs stay. Returns how many were removed. Call once when the page loads.
 */
export function removeStaleOutput(): Promise<number> {
  staleRemoval = removeStale();
  return staleRemoval;
}
let staleRemoval: Promise<number> | null = null;

async function removeStale(): Promise<number> {
  if (!opfsAvailable()) return 0;
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
  let removed = 0;
  for await (const name of (root as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) {
    // Asked per directory: another tab may have started a run since the last look.
    const held = (await navigator.locks.query()).held ?? [];
    if (held.some((lock) => lock.name === LOCK_PREFIX + name)) continue;
    await root.removeEntry(name, { recursive: true }).then(() => removed++, () => {});
  }
  return removed;
}
