/** The types of the `@ffmpeg/core` wrapper (core.ts): the Emscripten FS subset our devices use, the raw module, and CodecCore. */

/** Emscripten FS stream as our device callbacks see it (subset). */
export interface FsStream {
  position: number;
  flags: number;
  node: { size?: number; rdev: number; mode: number };
}

/** Device or filesystem stream operations (Emscripten's `stream_ops`, subset we implement). */
export interface FsStreamOps {
  open?(stream: FsStream): void;
  close?(stream: FsStream): void;
  /** `buffer` is the core's HEAP8 view; copy `length` bytes at `offset`; return bytes read, 0 = EOF. */
  read?(stream: FsStream, buffer: Int8Array, offset: number, length: number, position: number): number;
  /** Consume `length` bytes of `buffer` at `offset`; return bytes written. */
  write?(stream: FsStream, buffer: Int8Array, offset: number, length: number, position: number): number;
  llseek?(stream: FsStream, offset: number, whence: number): number;
}

/** An Emscripten filesystem type (opaque to us). */
export interface FsType {
  readonly __fsType?: never;
}

/** WORKERFS mount options: Files and named Blobs, read lazily with FileReaderSync. */
export interface WorkerFsMountOptions {
  files?: readonly File[];
  blobs?: readonly { name: string; data: Blob | LazyBlob }[];
}

/**
 * What WORKERFS needs from a blob: a size and `slice`; the slice is handed to
 * `WORKERFS.reader.readAsArrayBuffer`. Lets Node back WORKERFS with a file descriptor.
 */
export interface LazyBlob {
  readonly size: number;
  slice(start: number, end: number): LazyBlob;
}

/** The reader WORKERFS uses (FileReaderSync in a browser worker). */
export interface SyncBlobReader {
  readAsArrayBuffer(blob: Blob | LazyBlob): ArrayBuffer;
}

/** Minimal typed view of the Emscripten FS calls this project uses. */
export interface CoreFS {
  mkdir(path: string): void;
  rmdir(path: string): void;
  readdir(path: string): string[];
  writeFile(path: string, data: Uint8Array | string): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  stat(path: string): { size: number; mode: number };
  analyzePath(path: string): { exists: boolean };
  makedev(major: number, minor: number): number;
  registerDevice(dev: number, ops: FsStreamOps): void;
  mkdev(path: string, mode: number, dev: number): void;
  mount(type: FsType, opts: WorkerFsMountOptions | Record<string, never>, mountpoint: string): void;
  unmount(mountpoint: string): void;
  filesystems: { MEMFS: FsType; WORKERFS: FsType & { reader: SyncBlobReader | null } };
  ErrnoError: new (errno: number) => Error;
  /** Open streams by fd (0..2 are the standard streams). */
  streams: ({ stream_ops: FsStreamOps } | null | undefined)[];
}

/** One line of ffmpeg output as Emscripten reports it (this build sends all of it as stdout). */
export interface LogEvent {
  type: 'stdout' | 'stderr';
  message: string;
}

/** The Emscripten module object of `@ffmpeg/core` (the part we touch). */
export interface RawCoreModule {
  asm: Record<string, unknown>;
  FS: CoreFS;
  ret: number;
  timeout: number;
  setLogger(logger: (event: LogEvent) => void): void;
  reset(): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, maxBytes: number): void;
}

/** Overrides passed to `createFFmpegCore` (Emscripten module arguments). */
export interface CoreModuleOverrides {
  instantiateWasm(
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): Record<string, never>;
  locateFile?(path: string, prefix: string): string;
  print?(message: string): void;
  printErr?(message: string): void;
}

/** The default export of `@ffmpeg/core`'s ESM build. */
export type CreateFFmpegCore = (overrides: CoreModuleOverrides) => Promise<unknown>;

/** Result of an ffprobe run. */
export interface FfprobeResult {
  /** Parsed JSON from stdout, or null if stdout was not JSON (e.g. nothing readable). */
  json: unknown;
  /** ffprobe's return code; -1 even on success in this build, so do not trust it. */
  ret: number;
  /** Tail of ffmpeg's log output (when no logger is set). */
  log: string;
}

/** A loaded core: one ffmpeg instance; runs one command at a time, synchronously. */
export interface CodecCore {
  /** ffmpeg version line, e.g. "ffmpeg version 5.1.x". */
  readonly ffmpegVersion: string;
  /** Runs ffmpeg with `args` (after `./ffmpeg -nostdin -y`); returns ffmpeg's exit code (0 = ok). */
  exec(args: readonly string[]): number;
  /** Runs ffprobe with `args` and parses its stdout as JSON. */
  ffprobeJson(args: readonly string[]): FfprobeResult;
  readonly FS: CoreFS;
  /** Current size of the core's WASM linear memory in bytes. */
  wasmMemoryBytes(): number;
  /** Current WASM stack pointer (for leak checks). */
  stackPointer(): number;
  /** A view of the whole linear memory; re-fetch after any exec (memory may grow). */
  heapU8(): Uint8Array;
  /**
   * Receives every ffmpeg output line. This build logs at trace level whatever `-loglevel`
   * says (several lines per frame, each a new string), so the default (null) is an
   * allocation-free byte ring of the last output instead: read it with `logTail()`.
   */
  setLogger(logger: ((line: string) => void) | null): void;
  /** The last ~16 KB of the latest run's ffmpeg output while no logger is set (for error messages). */
  logTail(): string;
  /** Number of exec/ffprobe runs so far. */
  readonly runs: number;
}
