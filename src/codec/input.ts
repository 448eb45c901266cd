/**
 * Mounting the user's file for ffmpeg without copying it whole into memory.
 * Browser (worker): WORKERFS reads byte ranges on demand with FileReaderSync.
 * Node: the same WORKERFS, given a `LazyBlob` backed by a file descriptor (see input-node.ts),
 * so tests exercise the browser's read path, seeking included (MP4 index at the end).
 */
import { glueTally, type CodecCore, type LazyBlob, type SyncBlobReader } from './core.ts';

/** A synchronously readable blob that is not a DOM Blob (Node: a file descriptor range). */
export interface SyncReadableBlob extends LazyBlob {
  readonly name: string;
  slice(start: number, end: number): SyncReadableBlob;
  /** Reads the whole (sliced) range; causes GC (a new ArrayBuffer per read). */
  readSync(): ArrayBuffer;
}

/** What `mountInputFile` accepts. */
export type InputSource = File | Blob | SyncReadableBlob;

function isSyncReadable(b: unknown): b is SyncReadableBlob {
  return typeof b === 'object' && b !== null && typeof (b as { readSync?: unknown }).readSync === 'function';
}

interface FileReaderSyncLike {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

let fileReaderSync: FileReaderSyncLike | null = null;

/** Told of every read of a mounted input (see `onInputRead`); one per thread. */
let readListener: (() => void) | null = null;

/**
 * Calls `listener` on every read ffmpeg makes of a mounted input, until cleared with null.
 * The decode stage counts reads as progress: a long stretch of a file without video (padding,
 * null packets, another stream) is read, not stalled on. Nothing is allocated per read.
 */
export function onInputRead(listener: (() => void) | null): void {
  readListener = listener;
}

/** WORKERFS's reader: our sync blobs read themselves, DOM Blobs go through FileReaderSync. */
const dispatchingReader: SyncBlobReader = {
  readAsArrayBuffer(blob) {
    // allocates: every WORKERFS read (WORKERFS slices the File, then this makes a new
    // ArrayBuffer of the range, and WORKERFS a view of it); not in the pooled hot path's
    // control. Counted in glueTally (inputReads, inputReadBytes).
    glueTally.inputReads++;
    glueTally.inputReadBytes += blob.size;
    readListener?.();
    if (isSyncReadable(blob)) return blob.readSync();
    return readDomBlob(blob as Blob);
  },
};

let mounts = 0;

/** Safe file name for the mount (ffmpeg treats ':' etc. as protocol syntax). */
function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned || 'input';
}

/** Bytes a FileReaderSync call reads ahead of ffmpeg (its reads are 32 KiB). */
export const READ_AHEAD_BYTES = 1 << 20;

/**
 * A DOM Blob read in READ_AHEAD_BYTES blocks: ffmpeg's small reads are served from the last
 * block, so FileReaderSync runs once a block, not once a read. Each call in a worker that does
 * not return to its event loop (the decoder, inside exec for the whole run) left memory behind
 * until it did: Chromium 156, a worker reading 32 KiB slices in a loop, 2.3 KB a call, freed
 * when it returned (0.8 KB and levelling off in one that returned between batches).
 */
class ReadAheadBlob implements SyncReadableBlob {
  constructor(private readonly blocks: ReadAheadBlocks, private readonly start: number, readonly size: number, readonly name: string) {}

  slice(start: number, end: number): ReadAheadBlob {
    // allocates: one small object per WORKERFS read (it slices the blob before each read), ~3 B a frame.
    const from = Math.min(Math.max(0, start), this.size);
    return new ReadAheadBlob(this.blocks, this.start + from, Math.max(0, Math.min(end, this.size) - from), this.name);
  }

  readSync(): ArrayBuffer {
    return this.blocks.read(this.start, this.start + this.size);
  }
}

class ReadAheadBlocks {
  private block: ArrayBuffer | null = null;
  private blockStart = 0;
  constructor(private readonly blob: Blob) {}

  read(start: number, end: number): ArrayBuffer {
    if (end - start > READ_AHEAD_BYTES) return readDomBlob(this.blob.slice(start, end));
    if (!this.block || start < this.blockStart || end > this.blockStart + this.block.byteLength) {
      // allocates: one block per READ_AHEAD_BYTES of input (was one buffer per 32 KiB read).
      this.block = readDomBlob(this.blob.slice(start, Math.min(this.blob.size, start + READ_AHEAD_BYTES)));
      this.blockStart = start;
    }
    // allocates: WORKERFS takes an ArrayBuffer of the range, as before.
    return this.block.slice(start - this.blockStart, end - this.blockStart);
  }
}

function readDomBlob(blob: Blob): ArrayBuffer {
  if (!fileReaderSync) {
    const Ctor = (globalThis as { FileReaderSync?: new () => FileReaderSyncLike }).FileReaderSync;
    if (!Ctor) throw new Error('FileReaderSync is unavailable: mount DOM Files inside a worker (in Node use openNodeInput)');
    fileReaderSync = new Ctor();
  }
  return fileReaderSync.readAsArrayBuffer(blob);
}

/** Mounts `input` read-only at a fresh directory and returns its path for `-i`. */
export function mountInputFile(core: CodecCore, input: InputSource, name?: string): string {
  const FS = core.FS;
  const fileName = safeName(name ?? ('name' in input && typeof input.name === 'string' ? input.name : 'input'));
  const dir = `/input-${++mounts}`;
  FS.mkdir(dir);
  FS.filesystems.WORKERFS.reader = dispatchingReader; // WORKERFS only creates FileReaderSync when unset
  const data = isSyncReadable(input) ? input : new ReadAheadBlob(new ReadAheadBlocks(input), 0, input.size, fileName);
  FS.mount(FS.filesystems.WORKERFS, { blobs: [{ name: fileName, data }] }, dir);
  return `${dir}/${fileName}`;
}
