/**
 * Codec backends: who decodes and encodes a run. One entry per backend, here only; the stage
 * workers pick their stage by name (src/pipeline/stages/worker-apis.ts) and the UI, the
 * controller and the bench read this list. Both backends run in the same stage workers,
 * through the same links, pool and scaler: the backend is the only thing that changes.
 */
export type CodecBackendName = 'ffmpeg' | 'webcodecs';

export interface CodecBackendEntry {
  readonly name: CodecBackendName;
  /** For pickers and tables. */
  readonly label: string;
  /** One sentence: what decodes, what encodes, what writes the container. */
  readonly summary: string;
  /** Its codec workers need the compiled `@ffmpeg/core` module. */
  readonly usesCodecModule: boolean;
  /**
   * Encoders that may take turns on link B. ffmpeg.wasm's encoder blocks its worker inside
   * `exec`, so the next size's encoder is a second worker; a WebCodecs encoder is
   * asynchronous and is reconfigured (or replaced) inside one worker.
   */
  readonly maxEncoderLanes: 1 | 2;
}

export const CODEC_BACKENDS: readonly CodecBackendEntry[] = [
  {
    name: 'ffmpeg',
    label: 'ffmpeg.wasm',
    summary: 'ffmpeg.wasm (@ffmpeg/core, software, in WebAssembly) decodes and encodes; frames enter and leave its linear memory by copy.',
    usesCodecModule: true,
    maxEncoderLanes: 2,
  },
  {
    name: 'webcodecs',
    label: 'WebCodecs',
    summary: "The browser's VideoDecoder and VideoEncoder; mediabunny reads and writes the containers. Decoded frames live in the browser's native memory until copied out and closed.",
    usesCodecModule: false,
    maxEncoderLanes: 1,
  },
];

export function codecBackend(name: string): CodecBackendEntry {
  const entry = CODEC_BACKENDS.find((backend) => backend.name === name);
  if (!entry) throw new RangeError(`unknown codec backend "${name}"`);
  return entry;
}

/** Options only the WebCodecs backend reads (ignored by ffmpeg.wasm). */
export interface WebCodecsOptions {
  /**
   * Decoded VideoFrames the decode stage keeps open after copying them out, before closing
   * the oldest: the hazard of code that holds frames (w3c/webcodecs#612). 0 = close at once.
   */
  holdDecodedFrames: number;
  /** At a size switch: reconfigure the live encoder, or start another (a size's flushed encoder is kept for its next segment). */
  encoderSwitch: 'reconfigure' | 'new-encoder';
}

// New encoder (kept per size) by default: click → first bytes p99 67–71 ms against 99–120 reconfiguring (bench, 3 runs each).
export const DEFAULT_WEBCODECS_OPTIONS: WebCodecsOptions = { holdDecodedFrames: 0, encoderSwitch: 'new-encoder' };

/** What a codec worker is told at open: which backend, and that backend's options. */
export interface CodecBackendSetup {
  name: CodecBackendName;
  webcodecs: WebCodecsOptions;
}
