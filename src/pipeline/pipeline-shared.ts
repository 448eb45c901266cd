import type { ArenaShared } from '../pool/arena.ts';
import type { LinkShared } from '../pool/link.ts';
import type { MetricsShared } from '../metrics/metrics-block.ts';
import type { SwitchSchedule } from './switch-schedule.ts';
import type { LadderRung } from './ladder.ts';
import type { FrameSize } from './ladder.ts';

/**
 * Everything a run's workers share, created by the controller before the run and handed to
 * each stage once (structured clone keeps the SharedArrayBuffers and Memory shared).
 */
export interface PipelineShared {
  arena: ArenaShared;
  /** decode → scale, native size frames. */
  linkA: LinkShared;
  /** scale → encode (and the preview tap), target size frames. */
  linkB: LinkShared;
  metrics: MetricsShared;
  control: SharedArrayBuffer;
  switchLog: SharedArrayBuffer;
}

/**
 * Ends of MessageChannels a stage needs besides shared memory: link A's, when the mode moves
 * frames to the scaler by transfer (src/pool/modes/). Transferred to the stage worker.
 */
export interface StagePorts {
  linkA?: MessagePort;
  /** Each segment's close (SegmentClosedMessage) to the controller; the bytes come through the plan's outputRing. */
  output?: MessagePort;
}

/** What the scale stage needs beyond the shared memory. */
export interface ScalePlan {
  source: FrameSize;
  /** Ladder rungs with distinct sizes for this source, in order. */
  rungs: LadderRung[];
  startRung: LadderRung;
  schedule: SwitchSchedule;
}

export type { VideoCodecChoice } from '../codec/codecs.ts';
import type { VideoCodecChoice } from '../codec/codecs.ts';

/** What the encode stage needs beyond the shared memory. */
export interface EncodePlan {
  codec: VideoCodecChoice;
  frameRate: number;
  /** Index of this encoder's first segment (an encoder that replaces another continues the count; one lane only). */
  segmentIndexBase: number;
  /**
   * Encoders taking turns on link B (1 or 2), and which one this is. With two, the next
   * segment's encoder starts at the switch while the last one flushes (control block TURN);
   * segment indices then come from the control block.
   */
  lanes: number;
  lane: number;
  /**
   * WASM memory budget of the encode worker, bytes (null = none). Over budget after a
   * segment, the encoder returns before its next segment (endedBy 'budget', next frame still
   * queued) so the controller can replace the worker with a fresh one.
   */
  wasmBudgetBytes: number | null;
  /** This lane's output ring (output-ring.ts): the encoded bytes on their way to the page. */
  outputRing: SharedArrayBuffer;
}
