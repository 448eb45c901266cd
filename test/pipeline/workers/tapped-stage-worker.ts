/**
 * A stage worker as test/support/stage-worker.node.ts, except that an encode worker's codec
 * has its frame source device tapped: every byte ffmpeg reads from it is hashed, one MD5 per
 * frame, into the shared tap (see ../encoder-input-tap.ts).
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { i420ByteLength } from '../../../src/pool/frame-format.ts';
import { loadCodecCoreInNode } from '../../../src/codec/core-node.ts';
import type { CodecCore, FsStreamOps } from '../../../src/codec/core.ts';
import { openNodeInput } from '../../../src/codec/input-node.ts';
import { decodeWorkerApi, encodeWorkerApi, scaleWorkerApi } from '../../../src/pipeline/stages/worker-apis.ts';
import type { RunInput, StageKind } from '../../../src/pipeline/stage-protocol.ts';
import { writeTapRecord } from '../encoder-input-tap.ts';

const { kind, tap } = workerData as { kind: StageKind; tap: SharedArrayBuffer };

/** Wraps the read op of every device with one (the frame source) to hash what ffmpeg reads. */
function tapFrameSource(core: CodecCore): CodecCore {
  let width = 0;
  let height = 0;
  let frameBytes = 0;
  let filled = 0;
  let hash: Hash | null = null;
  const exec = core.exec.bind(core);
  core.exec = (args) => {
    const size = args[args.indexOf('-video_size') + 1];
    if (args.includes('-video_size') && size) [width, height] = size.split('x').map(Number) as [number, number];
    frameBytes = i420ByteLength(width, height);
    filled = 0; // a frame ffmpeg left unread in the last exec is not a frame that entered it
    hash = null;
    return exec(args);
  };
  const register = core.FS.registerDevice.bind(core.FS);
  core.FS.registerDevice = (dev: number, ops: FsStreamOps) => {
    const read = ops.read;
    if (!read) return register(dev, ops);
    return register(dev, {
      ...ops,
      read(stream, buffer, offset, length, position) {
        const n = read.call(ops, stream, buffer, offset, length, position);
        let at = buffer.byteOffset + offset;
        let left = n;
        while (left > 0) {
          const take = Math.min(left, frameBytes - filled);
          hash ??= createHash('md5');
          hash.update(new Uint8Array(buffer.buffer, at, take));
          filled += take;
          at += take;
          left -= take;
          if (filled === frameBytes) {
            writeTapRecord(tap, width, height, hash.digest());
            hash = null;
            filled = 0;
          }
        }
        return n;
      },
    });
  };
  return core;
}

const loadCore = (module: WebAssembly.Module) => loadCodecCoreInNode({ module });
const loadTappedCore = async (module: WebAssembly.Module) => tapFrameSource(await loadCore(module));
const openInput = (input: RunInput) => (input instanceof Blob ? input : openNodeInput(input.hostPath));
const api = kind === 'decode' ? decodeWorkerApi(loadCore, openInput) : kind === 'scale' ? scaleWorkerApi() : encodeWorkerApi(loadTappedCore);
Comlink.expose(api, nodeEndpoint(parentPort!));
