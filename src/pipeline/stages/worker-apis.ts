import { DEFAULT_WEBCODECS_OPTIONS, type CodecBackendSetup } from '../../codec/backends.ts';
import type { CodecCore } from '../../codec/core.ts';
import type { InputSource } from '../../codec/input.ts';
import { ProbeError } from '../../codec/probe.ts';
import type { DecodeWorkerApi, EncodeWorkerApi, RunInput, ScaleWorkerApi } from '../stage-protocol.ts';
import { DecodeStage } from './decode-stage.ts';
import { EncodeStage, type EncodeResult, type EncoderSink, type SegmentClosedMessage } from './encode-stage.ts';
import { OutputRingWriter } from '../output-ring.ts';
import type { EncodePlan, PipelineShared } from '../pipeline-shared.ts';
import { ScaleStage } from './scale-stage.ts';
import { StageFailure } from './stage-errors.ts';

const FFMPEG: CodecBackendSetup = { name: 'ffmpeg', webcodecs: DEFAULT_WEBCODECS_OPTIONS };

type LoadCore = (module: WebAssembly.Module) => Promise<CodecCore>;

/**
 * The objects each stage worker exposes, shared by the browser worker entries (workers/) and
 * the Node worker_threads entry used by the integration tests.
 */
export function decodeWorkerApi(loadCore: LoadCore, resolveInput: (input: RunInput) => InputSource): DecodeWorkerApi {
  let run: DecodeWorkerApi['run'] = () => { throw new StageFailure('decode', 'the decoder was started before a file was opened'); };
  return {
    async open(module, input, backend = FFMPEG) {
      try {
        if (backend.name === 'webcodecs') {
          if (!(input instanceof Blob)) throw new StageFailure('decode', 'WebCodecs runs in the browser only: this host has no VideoDecoder.');
          // Loaded only when chosen: ffmpeg.wasm runs do not carry mediabunny.
          const { WebCodecsDecodeStage } = await import('./webcodecs/decode-stage.ts');
          const stage = new WebCodecsDecodeStage(backend.webcodecs);
          const info = await stage.open(input);
          run = (shared, ports) => stage.run(shared, ports);
          return info;
        }
        if (!module) throw new StageFailure('decode', 'the ffmpeg.wasm decoder was opened without its codec');
        const stage = new DecodeStage(loadCore);
        const info = await stage.open(module, resolveInput(input));
        run = (shared, ports) => stage.run(shared, ports);
        return info;
      } catch (error) {
        // Only name, message and stack cross the thread: put the user's sentence in the message.
        if (error instanceof ProbeError) throw new StageFailure('decode', error.userMessage, { cause: error });
        throw error;
      }
    },
    run: (shared, ports) => run(shared, ports),
  };
}

export function scaleWorkerApi(): ScaleWorkerApi {
  const stage = new ScaleStage();
  return { run: (shared, plan, ports) => stage.run(shared, plan, ports) };
}

export function encodeWorkerApi(loadCore: LoadCore): EncodeWorkerApi {
  let stage: { run(shared: PipelineShared, plan: EncodePlan, output: EncoderSink): EncodeResult | Promise<EncodeResult> } | null = null;
  return {
    async open(module, backend = FFMPEG) {
      if (backend.name === 'webcodecs') {
        const { WebCodecsEncodeStage } = await import('./webcodecs/encode-stage.ts');
        const webcodecs = new WebCodecsEncodeStage(backend.webcodecs);
        await webcodecs.open();
        stage = webcodecs;
        return;
      }
      if (!module) throw new StageFailure('encode', 'the ffmpeg.wasm encoder was opened without its codec');
      const ffmpeg = new EncodeStage(loadCore);
      await ffmpeg.open(module);
      stage = ffmpeg;
    },
    run: (shared, plan, ports) => {
      if (!stage) throw new StageFailure('encode', 'the encoder was started before its codec was loaded');
      const port = ports.output;
      if (!port) throw new StageFailure('encode', 'the encoder was started without an output port');
      // A worker inside exec can send, not receive: a segment's close goes out on its own port.
      // Its bytes go through the shared output ring, which wakes the page itself (output-ring.ts:
      // why no message per chunk): nothing per frame.
      const ring = new OutputRingWriter(plan.outputRing);
      return stage.run(shared, plan, {
        chunk(segment, bytes) {
          for (let at = 0; at < bytes.length; at += ring.maxChunkBytes) {
            // allocates only for a chunk larger than the ring (never seen): a view per piece.
            ring.write(segment, at === 0 && bytes.length <= ring.maxChunkBytes ? bytes : bytes.subarray(at, at + ring.maxChunkBytes));
          }
        },
        closed(segment) {
          port.postMessage({ kind: 'segment', segment } satisfies SegmentClosedMessage);
        },
      });
    },
  };
}
