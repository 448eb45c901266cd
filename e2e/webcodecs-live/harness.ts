/**
 * The product's PipelineRun on the browser host with the WebCodecs backend at realtime pacing,
 * driven by e2e/webcodecs-live.spec.ts: the dashboard has no fault control (a slow encoder) and
 * shows per-switch figures only as quantiles.
 */
import { DEFAULT_WEBCODECS_OPTIONS, type WebCodecsOptions } from '../../src/codec/backends.ts';
import { histogramCount } from '../../src/metrics/histogram.ts';
import { HIST_OUT, LEAD_IN_FRAMES, Metrics } from '../../src/metrics/metrics-block.ts';
import { browserHost } from '../../src/pipeline/browser-host.ts';
import { PipelineRun } from '../../src/pipeline/controller.ts';
import type { VideoCodecChoice } from '../../src/pipeline/pipeline-shared.ts';
import { buildRunReport, type PipelineRunReport } from '../../src/pipeline/run-report.ts';
import type { LivePolicy } from '../../src/pipeline/stages/live-drop.ts';

export interface LiveOptions {
  codec: VideoCodecChoice;
  livePolicy: LivePolicy;
  /** Switch size every this many frames. */
  everyFrames: number;
  /** The 'slow' fault on the encode stage from frame 0: SLOW_FAULT_MS more per frame. */
  slowEncoder: boolean;
  /** How the encoder switches size (default: the app's, reconfigure). */
  encoderSwitch?: WebCodecsOptions['encoderSwitch'];
}

export interface LiveResult {
  report: PipelineRunReport;
  /** Frames the encode stage encoded (not counting those its last check dropped). */
  encoded: number;
  /** Segments opened on a size's kept encoder (new-encoder switching). */
  warmOpens: number;
  /** Per encoded frame: taken by its encoder − due (run start + its presentation time), ms. */
  latenessMs: number[];
  /** Per encoded frame: out of the decoder − due, ms. */
  fromDecoderMs: number[];
  /** Per encoded frame: its latency, out of the decoder → taken by its encoder, as the metrics recorded it, ms. */
  latencyMs: number[];
  frameIndex: number[];
  /** Per segment: its first chunk out of the encoder → its first bytes out of the muxer, ms. */
  muxFirstMs: number[];
  /** Values in the encoder's frame → bytes-out histogram, and the lead-in it leaves out. */
  outCount: number;
  leadIn: number;
  /** The kept segments' files, in order: base64, and a blob: URL in this page (for <video>). */
  files: { name: string; base64: string; url: string }[];
}

async function runLive(options: LiveOptions): Promise<LiveResult> {
  const file = document.querySelector<HTMLInputElement>('#file')?.files?.[0];
  if (!file) throw new Error('choose a file first');
  const run = new PipelineRun(browserHost, file, {
    mode: 'pooled', codec: options.codec, pacing: 'realtime', schedule: { kind: 'every', frames: options.everyFrames }, startRung: '240',
    backend: 'webcodecs', livePolicy: options.livePolicy,
    webcodecs: { ...DEFAULT_WEBCODECS_OPTIONS, encoderSwitch: options.encoderSwitch ?? DEFAULT_WEBCODECS_OPTIONS.encoderSwitch },
    fault: options.slowEncoder ? { stage: 'encode', frameIndex: 0, kind: 'slow' } : null,
  });
  await run.run();
  const metrics = Metrics.attach(run.metricsShared!);
  const n = metrics.recentCursor();
  const t = new Float64Array(n);
  const ms = new Float64Array(n);
  const frame = new Float64Array(n);
  metrics.readRecent(0, t, ms, frame);
  const interval = 1000 / run.info!.frameRate;
  const files = await Promise.all(run.segments.map(async (s) => {
    const blob = new Blob(s.chunks as BlobPart[], { type: s.mimeType });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return { name: s.fileName, base64: btoa(binary), url: URL.createObjectURL(blob) };
  }));
  return {
    report: buildRunReport(run),
    outCount: histogramCount(metrics.ints, metrics.histogramOffset(HIST_OUT)),
    leadIn: LEAD_IN_FRAMES,
    encoded: run.stageResults.encode?.frames ?? 0,
    warmOpens: run.stageResults.encode?.warmOpens ?? 0,
    muxFirstMs: run.segments.map((s) => s.firstBytesAt - (s.openedAt + s.openMs)), // openMs: opened → first chunk
    latenessMs: Array.from(t, (at, i) => at - (run.control!.startedAt + frame[i]! * interval)),
    // The end-to-end latency runs from the frame's earliest stamp, the decoder's.
    fromDecoderMs: Array.from(t, (at, i) => at - ms[i]! - (run.control!.startedAt + frame[i]! * interval)),
    latencyMs: Array.from(ms),
    frameIndex: Array.from(frame),
    files,
  };
}

(window as unknown as { runLive: typeof runLive }).runLive = runLive;
