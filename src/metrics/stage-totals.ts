/**
 * A run's counters summed over its stages, as the page's report and the bench read them (at
 * the end, or at the lead-in's end through Metrics.atLeadIn). Read off the hot path only.
 */
import { GlueCounter, GlueGauge, StageCounter, StageGauge, type CounterReader } from './metrics-block.ts';
import { STAGE_COUNT, StageId } from './stages.ts';

export interface StageTotals {
  /** Frames the encoder (the sink) took. */
  frames: number;
  allocations: number;
  bytesAllocated: number;
  bytesCopied: number;
  /** Frame bytes copied into and out of the codecs (ffmpeg.wasm's devices; WebCodecs' copyTo and VideoFrame constructor). Absent in reports from before it was counted. */
  codecBytesCopied?: number;
  /** What the codec glue did that makes garbage, summed over stages (see GlueCounter). Absent in older reports. */
  glue?: { inputReads: number; logLines: number; viewsMade: number };
  poolHits: number;
  poolMisses: number;
}

export function stageTotals(m: CounterReader): Required<StageTotals> {
  const t = { frames: m.counter(StageId.encode, StageCounter.frames), allocations: 0, bytesAllocated: 0, bytesCopied: 0, codecBytesCopied: 0, poolHits: 0, poolMisses: 0 };
  const glue = { inputReads: 0, logLines: 0, viewsMade: 0 };
  for (let s = 0; s < STAGE_COUNT; s++) {
    const stage = s as StageId;
    t.allocations += m.counter(stage, StageCounter.allocations);
    t.poolHits += m.counter(stage, StageCounter.poolHits);
    t.poolMisses += m.counter(stage, StageCounter.poolMisses);
    t.bytesAllocated += m.gauge(stage, StageGauge.bytesAllocated);
    t.bytesCopied += m.gauge(stage, StageGauge.bytesCopied);
    t.codecBytesCopied += m.glueGauge(stage, GlueGauge.codecCopyBytes);
    glue.inputReads += m.glue(stage, GlueCounter.inputReads);
    glue.logLines += m.glue(stage, GlueCounter.logLines);
    glue.viewsMade += m.glue(stage, GlueCounter.viewsMade);
  }
  return { ...t, glue };
}
