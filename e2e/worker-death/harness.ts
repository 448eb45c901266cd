/**
 * The product's PipelineRun on the browser host (module workers, the real codec), driven by
 * e2e/worker-death.spec.ts with an injected fault: the dashboard has no fault control.
 */
import { Metrics, StageCounter } from '../../src/metrics/metrics-block.ts';
import { StageId } from '../../src/metrics/stages.ts';
import { browserHost } from '../../src/pipeline/browser-host.ts';
import type { FaultKind } from '../../src/pipeline/control-block.ts';
import { liveStageWorkers, PipelineRun, type PipelineHost, type RunFailure, type RunPhase, type StageWorker } from '../../src/pipeline/controller.ts';
import type { StageKind } from '../../src/pipeline/stage-protocol.ts';

export interface HarnessOptions {
  fault: { stage: StageKind; frameIndex: number; kind: FaultKind };
  stallTimeoutMs?: number;
  /** Calls stop() once the faulted stage has handled no frame for this long (ms). */
  stopWhenQuietMs?: number;
}

export interface HarnessResult {
  phase: RunPhase;
  failure: RunFailure | null;
  segments: number;
  /** Frames the faulted stage handled. */
  frames: number;
  /** The faulted stage's last frame → the run's end (ms): an upper bound on death → failed. */
  quietToEndMs: number;
  /** The faulted stage's last frame → the host reporting a worker of that stage gone (ms), or null. */
  quietToExitMs: number | null;
  /** The run's phase when stop() was called (stopWhenQuietMs), or null. */
  phaseAtStop: RunPhase | null;
  /** stop() → the run's end (ms), or null. */
  stopToEndMs: number | null;
  liveWorkersAfter: number;
}

async function runWithFault(options: HarnessOptions): Promise<HarnessResult> {
  const file = document.querySelector<HTMLInputElement>('#file')?.files?.[0];
  if (!file) throw new Error('choose a file first');
  await browserHost.codecModule(); // compiled before the clock starts
  // The browser host, noting when it reports a worker of the faulted stage gone.
  let exitAt: number | null = null;
  const host: PipelineHost = {
    codecModule: () => browserHost.codecModule(),
    spawn<K extends StageKind>(kind: K): StageWorker<K> {
      const worker = browserHost.spawn(kind);
      return {
        ...worker,
        onExit: (listener) => worker.onExit?.((reason) => {
          if (kind === options.fault.stage) exitAt ??= performance.now();
          listener(reason);
        }),
      };
    },
  };
  const run = new PipelineRun(host, file, {
    mode: 'pooled', codec: 'h264', pacing: 'max', schedule: { kind: 'every', frames: 10 }, startRung: '240',
    stallTimeoutMs: options.stallTimeoutMs ?? 5000, fault: options.fault,
  });
  const stage = StageId[options.fault.stage];
  let frames = -1;
  let lastAt = performance.now();
  let metrics: Metrics | null = null;
  let stopAt: number | null = null;
  let phaseAtStop: RunPhase | null = null;
  const timer = setInterval(() => {
    const now = performance.now();
    if (!metrics && run.metricsShared) metrics = Metrics.attach(run.metricsShared);
    const count = metrics?.counter(stage, StageCounter.frames) ?? -1;
    if (count !== frames) {
      frames = count;
      lastAt = now;
    } else if (options.stopWhenQuietMs !== undefined && stopAt === null && frames > 0 && now - lastAt >= options.stopWhenQuietMs) {
      phaseAtStop = run.phase;
      stopAt = now;
      run.stop();
    }
  }, 5);
  const phase = await run.run();
  const endedAt = performance.now();
  clearInterval(timer);
  return {
    phase, failure: run.failure, segments: run.segments.length, frames,
    quietToEndMs: endedAt - lastAt, quietToExitMs: exitAt === null ? null : exitAt - lastAt, phaseAtStop, stopToEndMs: stopAt === null ? null : endedAt - stopAt,
    liveWorkersAfter: liveStageWorkers(),
  };
}

(window as unknown as { runWithFault: typeof runWithFault }).runWithFault = runWithFault;
