import type { CodecCore } from '../../codec/core.ts';
import type { InputSource } from '../../codec/input.ts';
import { ProbeError } from '../../codec/probe.ts';
import type { DecodeWorkerApi, EncodeWorkerApi, RunInput, ScaleWorkerApi } from '../stage-protocol.ts';
import { DecodeStage } from './decode-stage.ts';
import { EncodeStage } from './encode-stage.ts';
import { ScaleStage } from './scale-stage.ts';
import { StageFailure } from './stage-errors.ts';

type LoadCore = (module: WebAssembly.Module) => Promise<CodecCore>;

/**
 * The objects each stage worker exposes, shared by the browser worker entries (workers/) and
 * the Node worker_threads entry used by the integration tests.
 */
export function decodeWorkerApi(loadCore: LoadCore, resolveInput: (input: RunInput) => InputSource): DecodeWorkerApi {
  const stage = new DecodeStage(loadCore);
  return {
    async open(module, input) {
      try {
        return await stage.open(module, resolveInput(input));
      } catch (error) {
        // Only name, message and stack cross the thread: put the user's sentence in the message.
        if (error instanceof ProbeError) throw new StageFailure('decode', error.userMessage, { cause: error });
        throw error;
      }
    },
    run: (shared, ports) => stage.run(shared, ports),
  };
}

export function scaleWorkerApi(): ScaleWorkerApi {
  const stage = new ScaleStage();
  return { run: (shared, plan, ports) => stage.run(shared, plan, ports) };
}

export function encodeWorkerApi(loadCore: LoadCore): EncodeWorkerApi {
  const stage = new EncodeStage(loadCore);
  return {
    open: (module) => stage.open(module),
    run: (shared, plan, ports) => {
      const port = ports.output;
      if (!port) throw new StageFailure('encode', 'the encoder was started without an output port');
      // A worker inside exec can send, not receive: output goes out on its own port, in order.
      // Chunks are moved (transferred), not copied. One transfer list, refilled per chunk
      // (postMessage reads it at once): no array per frame.
      const one: ArrayBuffer[] = [new ArrayBuffer(0)];
      const none: ArrayBuffer[] = [];
      return stage.run(shared, plan, (message) => {
        if (message.kind !== 'chunk') return port.postMessage(message, none);
        one[0] = message.bytes.buffer as ArrayBuffer;
        port.postMessage(message, one);
      });
    },
  };
}
