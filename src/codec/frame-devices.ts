/**
 * Streaming Emscripten FS devices: ffmpeg writes decoded frames into a sink device and
 * reads frames to encode from a source device, so no frame ever lands in MEMFS and WASM
 * memory stays flat whatever the video's length.
 *
 * Callbacks run synchronously inside `core.exec` (the worker's event loop is blocked);
 * they may block on `Atomics.wait` — that is the back-pressure.
 *
 * Errors: a callback that throws must not unwind through ffmpeg (its state would be left
 * half-torn). The device catches it, returns EIO to ffmpeg, which then ends the run
 * cleanly; the caught error is kept on the mount (`takeError()`) and rethrown by
 * `rethrowIfFailed()` after `exec` returns.
 */
import { glueTally, type CodecCore, type FsStream, type FsStreamOps } from './core.ts';

const EIO = 29;

/** Receives decoded frames: supplies each destination, is told when it is full. */
export interface FrameSinkTarget {
  /** Destination for the next frame (at least `frameBytes` long); called on its first byte. */
  begin(): Uint8Array;
  /** `dest` (as returned by `begin`) now holds a complete frame. */
  end(dest: Uint8Array): void;
}

/**
 * Cuts a byte stream of fixed-size frames at exact frame boundaries, whatever the write
 * sizes, writing straight into consumer-supplied destinations (e.g. a shared pool slot).
 */
export class FrameCutter {
  readonly frameBytes: number;
  private readonly target: FrameSinkTarget;
  private dest: Uint8Array | null = null;
  private filled = 0;
  /** Frames completed so far. */
  frames = 0;

  constructor(frameBytes: number, target: FrameSinkTarget) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    this.frameBytes = frameBytes;
    this.target = target;
  }

  /** Bytes of an unfinished frame (non-zero at the end means a truncated stream). */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Consumes all of `src` (no frame-sized allocation; `src` may be a view of WASM memory). */
  write(src: Uint8Array): void {
    let i = 0;
    const n = src.length;
    while (i < n) {
      let dest = this.dest;
      if (dest === null) {
        dest = this.target.begin();
        if (dest.length < this.frameBytes) {
          throw new RangeError(`frame destination holds ${dest.length} bytes, a frame needs ${this.frameBytes}`);
        }
        this.dest = dest;
        this.filled = 0;
      }
      const take = Math.min(this.frameBytes - this.filled, n - i);
      // allocates: a view when a write does not hold exactly one frame (a frame cut across
      // writes); the decode stage has ffmpeg flush after every packet, so none does.
      if (take !== n || i !== 0) glueTally.viewsMade++;
      dest.set(take === n && i === 0 ? src : src.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      if (this.filled === this.frameBytes) {
        this.dest = null;
        this.filled = 0;
        this.frames++;
        this.target.end(dest);
      }
    }
  }

  /** Forgets a partial frame (the destination stays with the consumer: it got `begin`'s value). */
  reset(): Uint8Array | null {
    const partial = this.dest;
    this.dest = null;
    this.filled = 0;
    return partial;
  }
}

/** A mounted device; unmount when done (the path is unlinked). */
export interface DeviceMount {
  readonly path: string;
  /** The error a callback threw during the last run, if any (cleared by reading). */
  takeError(): unknown;
  /** Throws the callback error of the last run, if any. */
  rethrowIfFailed(): void;
  unmount(): void;
}

let nextMajor = 200; // device numbers private to this module; Emscripten's own use majors 1, 5, 6

function registerAtPath(core: CodecCore, path: string, ops: FsStreamOps): number {
  const FS = core.FS;
  const dev = FS.makedev(nextMajor++, 0);
  FS.registerDevice(dev, ops);
  if (FS.analyzePath(path).exists) FS.unlink(path);
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (dir && !FS.analyzePath(dir).exists) FS.mkdir(dir);
  FS.mkdev(path, 0o666, dev);
  return dev;
}

/** Keeps one Uint8Array over the core's memory, renewed only when the memory grows. */
class HeapView {
  private view: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  of(buffer: Int8Array): Uint8Array {
    if (this.view.buffer !== buffer.buffer) this.view = new Uint8Array(buffer.buffer);
    return this.view;
  }
}

/** Entries of a ViewCache: ffmpeg reuses a handful of buffers (its packet allocations, avio's buffer). */
const VIEW_CACHE_ENTRIES = 8;

/**
 * Views of ranges of one ArrayBuffer, kept for reuse: the same (offset, length) asked again
 * (ffmpeg writing each frame from a recycled packet buffer) gets the same view, so a device
 * call makes no garbage in steady state. One writer: the thread running the device.
 */
class ViewCache {
  private readonly views: (Uint8Array | null)[] = new Array<Uint8Array | null>(VIEW_CACHE_ENTRIES).fill(null);
  private next = 0;

  /** A view of `length` bytes of `whole`'s buffer at `byteOffset`. */
  view(whole: Uint8Array, byteOffset: number, length: number): Uint8Array {
    const views = this.views;
    for (let i = 0; i < VIEW_CACHE_ENTRIES; i++) {
      const v = views[i]!;
      if (v !== null && v.byteOffset === byteOffset && v.length === length && v.buffer === whole.buffer) return v;
    }
    // allocates: a view for a range not seen lately (first frames, a memory grow, a new size).
    glueTally.viewsMade++;
    const v = new Uint8Array(whole.buffer, byteOffset, length);
    views[this.next] = v;
    this.next = (this.next + 1) % VIEW_CACHE_ENTRIES;
    return v;
  }
}

function makeMount(core: CodecCore, path: string, errorBox: { error: unknown }): DeviceMount {
  let mounted = true;
  return {
    path,
    takeError() {
      const e = errorBox.error;
      errorBox.error = undefined;
      return e;
    },
    rethrowIfFailed() {
      const e = errorBox.error;
      errorBox.error = undefined;
      if (e !== undefined) throw e;
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      if (core.FS.analyzePath(path).exists) core.FS.unlink(path);
    },
  };
}

/**
 * Mounts a write-only device at `path` that feeds every byte ffmpeg writes to `cutter`.
 * Each open (each exec writing to it) starts on a frame boundary.
 */
export function mountFrameSink(core: CodecCore, path: string, cutter: FrameCutter): DeviceMount {
  const heap = new HeapView();
  const views = new ViewCache();
  const box: { error: unknown } = { error: undefined };
  const ops: FsStreamOps = {
    open() {
      cutter.reset();
    },
    write(_stream: FsStream, buffer: Int8Array, offset: number, length: number): number {
      if (box.error !== undefined) throw new core.FS.ErrnoError(EIO);
      try {
        // A cached view of the written range (no garbage per write); frame bytes are copied
        // once, into the destination.
        cutter.write(views.view(heap.of(buffer), buffer.byteOffset + offset, length));
      } catch (e) {
        box.error = e;
        throw new core.FS.ErrnoError(EIO);
      }
      return length;
    },
  };
  registerAtPath(core, path, ops);
  return makeMount(core, path, box);
}

/** Supplies frames to encode. */
export interface FrameSourceFeed {
  /** The next frame's bytes, or null to end the stream here (EOF at a frame boundary). */
  next(): Uint8Array | null;
  /** ffmpeg has read all of `frame` (as returned by `next`): it may be released. */
  done(frame: Uint8Array): void;
}

/**
 * Mounts a read-only device at `path` that serves frames from `feed` one by one, to
 * whatever read sizes ffmpeg asks for. `null` from `next()` ends this open of the device;
 * the next open (next exec) asks `next()` again, so one mount serves many segments.
 */
export function mountFrameSource(core: CodecCore, path: string, feed: FrameSourceFeed): DeviceMount {
  const heap = new HeapView();
  const views = new ViewCache();
  const box: { error: unknown } = { error: undefined };
  let frame: Uint8Array | null = null;
  let pos = 0;
  let ended = false;
  const ops: FsStreamOps = {
    open() {
      ended = false;
      pos = 0;
    },
    close() {
      // A frame ffmpeg did not finish reading (it stopped early): hand it back as done.
      if (frame !== null) {
        const f = frame;
        frame = null;
        try {
          feed.done(f);
        } catch (e) {
          box.error ??= e;
        }
      }
    },
    read(_stream: FsStream, buffer: Int8Array, offset: number, length: number): number {
      if (ended) return 0;
      const heapU8 = heap.of(buffer);
      const base = buffer.byteOffset + offset;
      let written = 0;
      try {
        while (written < length) {
          if (frame === null) {
            // Only fetch a new frame if nothing was copied yet in this call: ffmpeg gets whole
            // frames without us blocking in next() while holding a partly filled read.
            if (written > 0) break;
            const f = feed.next();
            if (f === null) {
              ended = true;
              break;
            }
            frame = f;
            pos = 0;
          }
          const take = Math.min(frame.length - pos, length - written);
          // A read of part of a frame copies from a cached view of that part (no garbage per read).
          heapU8.set(pos === 0 && take === frame.length ? frame : views.view(frame, frame.byteOffset + pos, take), base + written);
          pos += take;
          written += take;
          if (pos === frame.length) {
            const f = frame;
            frame = null;
            feed.done(f);
          }
        }
      } catch (e) {
        box.error = e;
        ended = true;
        throw new core.FS.ErrnoError(EIO);
      }
      return written;
    },
  };
  registerAtPath(core, path, ops);
  return makeMount(core, path, box);
}

/** Receives the bytes ffmpeg writes (an encoder's muxed output). */
export interface ByteSinkTarget {
  /** A new exec opened the device: a new output starts. */
  open(): void;
  /** The next bytes of the output. `view` is valid only during the call (it views WASM memory). */
  write(view: Uint8Array): void;
}

/**
 * Mounts a write-only, non-seekable device at `path`: every byte ffmpeg writes goes to
 * `target` as it is written, so nothing accumulates in MEMFS. Muxers must then write
 * streamable output (fragmented MP4, live WebM): a seek fails with ESPIPE.
 */
export function mountByteSink(core: CodecCore, path: string, target: ByteSinkTarget): DeviceMount {
  const heap = new HeapView();
  const box: { error: unknown } = { error: undefined };
  const ops: FsStreamOps = {
    open() {
      target.open();
    },
    write(_stream: FsStream, buffer: Int8Array, offset: number, length: number): number {
      if (box.error !== undefined) throw new core.FS.ErrnoError(EIO);
      try {
        // allocates: one view per write (about one per encoded frame, ~60 B); the target copies
        // the bytes out of WASM memory at once (into the output ring, output-ring.ts).
        // (A view cache does not help here: every encoded chunk has its own length.)
        target.write(heap.of(buffer).subarray(buffer.byteOffset + offset, buffer.byteOffset + offset + length));
      } catch (e) {
        box.error = e;
        throw new core.FS.ErrnoError(EIO);
      }
      return length;
    },
  };
  registerAtPath(core, path, ops);
  return makeMount(core, path, box);
}
