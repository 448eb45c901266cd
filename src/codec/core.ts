/**
 * Platform-neutral loader and wrapper for the `@ffmpeg/core` 0.12.10 Emscripten build.
 *
 * Why a wrapper instead of `Module.exec`:
 * - every `exec` ends in `abort()` (that is how the patched ffmpeg returns), and the
 *   exception unwinds past the wasm frames without restoring the stack pointer: 224 bytes
 *   of stack leak per run, and after ~147 runs the core traps ("memory access out of
 *   bounds"). We save the stack pointer before and restore it in `finally`.
 * - `exec` mallocs argv on every call and the build exports no `free`: we malloc one argv
 *   arena once and reuse it (it only grows, by doubling, for a longer command line).
 * The build exports these functions only under minified names, so the names are pinned
 * to this exact core version and checked when the core loads.
 */

/** The `@ffmpeg/core` version this wrapper is written against (its minified export names). */
export const PINNED_CORE_VERSION = '0.12.10';

/** Byte size of the pinned `ffmpeg-core.wasm`: a cheap fingerprint when the bytes are at hand. */
export const PINNED_WASM_BYTES = 32_232_419;

/** The ffmpeg inside the pinned core (its `-version` line starts with this). */
export const PINNED_FFMPEG_VERSION = 'ffmpeg version 5.1.4';

export type { FsStream, FsStreamOps, FsType, WorkerFsMountOptions, LazyBlob, SyncBlobReader, CoreFS, LogEvent, RawCoreModule, CoreModuleOverrides, CreateFFmpegCore, FfprobeResult, CodecCore } from './core-types.ts';
import type { CodecCore, CreateFFmpegCore, FsStream, FsStreamOps, RawCoreModule } from './core-types.ts';

/** The minified export names in the pinned build. */
const ASM = {
  memory: 'ra',
  malloc: 'ta',
  ffmpeg: 'ya',
  ffprobe: 'za',
  stackSave: 'Da',
  stackRestore: 'Ea',
} as const;

/**
 * This thread's running counts of what the codec glue does per frame that makes garbage or
 * would (WORKERFS reads, log output, views the frame devices had to make). Plain numbers,
 * bumped where it happens without allocating; a stage resets them when its run starts and
 * publishes them to the metrics block (Metrics.publishGlue) so the page can show them.
 */
export const glueTally = {
  inputReads: 0,
  inputReadBytes: 0,
  logLines: 0,
  logBytes: 0,
  viewsMade: 0,
};

/** Zeroes `glueTally` (a stage's run starts). */
export function resetGlueTally(): void {
  glueTally.inputReads = 0;
  glueTally.inputReadBytes = 0;
  glueTally.logLines = 0;
  glueTally.logBytes = 0;
  glueTally.viewsMade = 0;
}

/** The loaded build is not the one this wrapper was written for, or the cure failed. */
export class CoreMismatchError extends Error {
  override name = 'CoreMismatchError';
}

/** ffmpeg threw something other than its normal abort-at-exit: the core may be unusable. */
export class CoreCrashError extends Error {
  override name = 'CoreCrashError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface LoadCodecCoreOptions {
  /** The compiled `ffmpeg-core.wasm` (compile once, share with every worker). */
  module: WebAssembly.Module;
  /** `@ffmpeg/core`'s default export. */
  createCore: CreateFFmpegCore;
  /** Skip the load-time self test (two trivial execs, ~10 ms). Default false. */
  skipSelfTest?: boolean;
}

const REQUIRED_EXPORTS: readonly [string, 'function' | 'memory'][] = [
  [ASM.memory, 'memory'],
  [ASM.malloc, 'function'],
  [ASM.ffmpeg, 'function'],
  [ASM.ffprobe, 'function'],
  [ASM.stackSave, 'function'],
  [ASM.stackRestore, 'function'],
];

/** Checks a compiled module's export table against the pinned build (no instantiation needed). */
export function checkModuleFingerprint(module: WebAssembly.Module): void {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const [name, kind] of REQUIRED_EXPORTS) {
    if (exports.get(name) !== kind) {
      throw new CoreMismatchError(
        `ffmpeg-core.wasm does not match @ffmpeg/core ${PINNED_CORE_VERSION}: export "${name}" ` +
          `should be a ${kind}, found ${exports.get(name) ?? 'nothing'}. ` +
          `Pin @ffmpeg/core to ${PINNED_CORE_VERSION} or update src/codec/core.ts.`,
      );
    }
  }
}

type I32Fn = (...args: number[]) => number;

function isRawCoreModule(m: unknown): m is RawCoreModule {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Partial<RawCoreModule>;
  return (
    typeof r.asm === 'object' &&
    typeof r.FS === 'object' &&
    typeof r.setLogger === 'function' &&
    typeof r.reset === 'function' &&
    typeof r.lengthBytesUTF8 === 'function' &&
    typeof r.stringToUTF8 === 'function'
  );
}

function isErrorWithMessage(e: unknown): e is { message: string; name?: unknown; status?: unknown } {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

/** Instantiates the core from a compiled Module and returns the leak-cured wrapper. */
export async function loadCodecCore(options: LoadCodecCoreOptions): Promise<CodecCore> {
  const { module, createCore } = options;
  checkModuleFingerprint(module);

  // Emscripten's print goes to Module.logger; one dispatcher serves the user's logger and
  // the load-time version capture.
  let userLogger: ((line: string) => void) | null = null;
  let capture: { stdout: string[]; stderr: string[] } | null = null;

  let failInstantiate: (err: unknown) => void = () => {};
  const instantiateFailed = new Promise<never>((_, reject) => {
    failInstantiate = reject;
  });
  const raw = await Promise.race([
    createCore({
      instantiateWasm(imports, receive) {
        // Instantiating a precompiled Module sidesteps Emscripten's wasm URL guessing.
        WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), failInstantiate);
        return {};
      },
    }),
    instantiateFailed,
  ]);
  if (!isRawCoreModule(raw)) {
    throw new CoreMismatchError(`@ffmpeg/core did not return the expected module object (pinned ${PINNED_CORE_VERSION}).`);
  }
  const M = raw;

  const asm = M.asm;
  const memory = asm[ASM.memory];
  const malloc = asm[ASM.malloc];
  const ffmpegMain = asm[ASM.ffmpeg];
  const ffprobeMain = asm[ASM.ffprobe];
  const stackSave = asm[ASM.stackSave];
  const stackRestore = asm[ASM.stackRestore];
  if (
    !(memory instanceof WebAssembly.Memory) ||
    typeof malloc !== 'function' ||
    typeof ffmpegMain !== 'function' ||
    typeof ffprobeMain !== 'function' ||
    typeof stackSave !== 'function' ||
    typeof stackRestore !== 'function'
  ) {
    throw new CoreMismatchError(
      `@ffmpeg/core instance lacks the pinned ${PINNED_CORE_VERSION} exports (${Object.keys(asm).join(' ')}).`,
    );
  }
  const wasmMemory: WebAssembly.Memory = memory;
  const mallocFn = malloc as I32Fn;
  const ffmpegFn = ffmpegMain as I32Fn;
  const ffprobeFn = ffprobeMain as I32Fn;
  const spSave = stackSave as () => number;
  const spRestore = stackRestore as (sp: number) => void;

  M.setLogger((event) => {
    // allocates: Emscripten's tty makes a string per line before this runs; only while a
    // logger is set (tests, load-time version check), never on a run's per-frame path.
    glueTally.logLines++;
    if (capture) (event.type === 'stdout' ? capture.stdout : capture.stderr).push(event.message);
    userLogger?.(event.message);
  });

  // Standard streams: with no logger, copy output bytes into a fixed ring instead of letting
  // Emscripten build one string per line (marked: the tty path causes GC on every frame).
  const ring = new Uint8Array(16 * 1024);
  let ringPos = 0;
  let ringFull = false;
  const ttyOps: FsStreamOps[] = [];
  const ringWrite = (_s: FsStream, buffer: Int8Array, offset: number, length: number): number => {
    // A byte loop, not set(subarray()): the build logs several lines per frame, and a view per
    // write would be garbage on the per-frame path. Log writes are short.
    const start = length > ring.length ? length - ring.length : 0;
    let lines = 0;
    for (let i = start; i < length; i++) {
      const b = buffer[offset + i]!;
      ring[ringPos++] = b;
      if (b === 10) lines++;
      if (ringPos === ring.length) {
        ringPos = 0;
        ringFull = true;
      }
    }
    glueTally.logLines += lines;
    glueTally.logBytes += length;
    return length;
  };
  const ringOps: FsStreamOps = { write: ringWrite };
  for (const fd of [1, 2]) {
    const stream = M.FS.streams[fd];
    if (!stream) throw new CoreMismatchError(`@ffmpeg/core has no standard stream ${fd}`);
    ttyOps[fd] = stream.stream_ops;
  }
  function routeOutput(toLogger: boolean): void {
    for (const fd of [1, 2]) {
      const stream = M.FS.streams[fd];
      const tty = ttyOps[fd];
      if (stream && tty) stream.stream_ops = toLogger ? tty : ringOps;
    }
  }
  function logTail(): string {
    const bytes = ringFull ? new Uint8Array([...ring.subarray(ringPos), ...ring.subarray(0, ringPos)]) : ring.subarray(0, ringPos);
    return new TextDecoder().decode(bytes);
  }
  routeOutput(false);

  // argv arena: [argc+1 pointers][NUL-terminated strings], malloc'd once, grown by doubling.
  // (No `free` export: a grown-out arena leaks, but growth is logarithmic in the longest argv.)
  let arenaPtr = 0;
  let arenaBytes = 0;
  function writeArgv(argv: readonly string[]): number {
    const pointerBytes = (argv.length + 1) * 4;
    let need = pointerBytes;
    const lens = argv.map((s) => M.lengthBytesUTF8(s) + 1);
    for (const l of lens) need += l;
    if (need > arenaBytes) {
      const size = Math.max(need, arenaBytes * 2, 4096);
      const p = mallocFn(size);
      if (p === 0) throw new CoreCrashError(`malloc(${size}) for argv failed`);
      arenaPtr = p;
      arenaBytes = size;
    }
    const heap32 = new Int32Array(wasmMemory.buffer);
    let strPtr = arenaPtr + pointerBytes;
    for (let i = 0; i < argv.length; i++) {
      const len = lens[i] ?? 1;
      M.stringToUTF8(argv[i] ?? '', strPtr, len);
      heap32[(arenaPtr >> 2) + i] = strPtr;
      strPtr += len;
    }
    heap32[(arenaPtr >> 2) + argv.length] = 0;
    return arenaPtr;
  }

  let runs = 0;
  function run(main: I32Fn, argv: readonly string[]): number {
    M.reset(); // ret = -1, timeout = -1: a stale ret from the previous run must not leak through
    runs++;
    // logTail() tells about this run only (a probe must not read an earlier file's log).
    ringPos = 0;
    ringFull = false;
    const sp = spSave();
    try {
      const argvPtr = writeArgv(argv);
      try {
        main(argv.length, argvPtr);
      } catch (e) {
        // Same rule as Module.exec: the patched ffmpeg ends every run with abort() after
        // storing its exit code in Module.ret. ExitStatus (exit()) carries the code itself.
        if (isErrorWithMessage(e) && e.message.startsWith('Aborted')) return M.ret;
        if (isErrorWithMessage(e) && e.name === 'ExitStatus' && typeof e.status === 'number') return e.status;
        throw new CoreCrashError(
          `ffmpeg crashed: ${isErrorWithMessage(e) ? e.message : String(e)}. The core instance may be unusable; restart the worker.`,
          { cause: e },
        );
      }
      return M.ret;
    } finally {
      spRestore(sp); // the leak cure
    }
  }

  const core: CodecCore = {
    ffmpegVersion: '',
    exec: (args) => run(ffmpegFn, ['./ffmpeg', '-nostdin', '-y', ...args]),
    ffprobeJson(args) {
      // The build prints its trace log on the same stream as ffprobe's stdout (interleaved,
      // even mid-line), so ffprobe writes the JSON to a MEMFS file instead.
      const out = `/.ffprobe-${runs}.json`;
      const ret = run(ffprobeFn, ['./ffprobe', '-o', out, ...args]);
      let json: unknown = null;
      if (M.FS.analyzePath(out).exists) {
        const text = new TextDecoder().decode(M.FS.readFile(out)).trim();
        M.FS.unlink(out);
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = null;
        }
      }
      return { json, ret, log: logTail() };
    },
    FS: M.FS,
    wasmMemoryBytes: () => wasmMemory.buffer.byteLength,
    stackPointer: () => spSave(),
    heapU8: () => new Uint8Array(wasmMemory.buffer),
    setLogger(logger) {
      userLogger = logger;
      routeOutput(logger !== null);
    },
    logTail,
    get runs() {
      return runs;
    },
  };

  // Version line, and proof that the cure holds on this build: two identical runs must
  // leave the stack pointer exactly where it was.
  const lines: string[] = [];
  capture = { stdout: lines, stderr: lines };
  routeOutput(true);
  let version = '';
  try {
    if (core.exec(['-hide_banner', '-loglevel', 'error', '-version']) !== 0) {
      throw new CoreMismatchError('ffmpeg -version failed at core load');
    }
    version = lines.find((l) => l.startsWith('ffmpeg version')) ?? '';
  } finally {
    capture = null;
    routeOutput(false);
  }
  if (!version.startsWith(PINNED_FFMPEG_VERSION)) {
    throw new CoreMismatchError(
      `expected "${PINNED_FFMPEG_VERSION}…" from @ffmpeg/core ${PINNED_CORE_VERSION}, got "${version || lines.slice(0, 3).join(' | ')}"`,
    );
  }
  (core as { ffmpegVersion: string }).ffmpegVersion = version;

  if (!options.skipSelfTest) {
    const probeArgs = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'nullsrc=s=16x16:d=0.04', '-f', 'null', '-'];
    const sp0 = spSave();
    const r1 = core.exec(probeArgs);
    const sp1 = spSave();
    const r2 = core.exec(probeArgs);
    const sp2 = spSave();
    if (r1 !== 0 || r2 !== 0) throw new CoreMismatchError(`core self-test exec failed (ret ${r1}, ${r2})`);
    if (sp0 !== sp1 || sp1 !== sp2) {
      throw new CoreMismatchError(
        `exec stack-leak cure does not hold on this build: stack pointer ${sp0} → ${sp1} → ${sp2}. ` +
          `Expected @ffmpeg/core ${PINNED_CORE_VERSION}.`,
      );
    }
  }
  return core;
}
