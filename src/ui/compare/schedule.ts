/**
 * Compare's plan: the runs in order, and the switch schedule, fixed before its first run: from the switching control, or the
 * clicks of the last single manual run replayed by frame index. Pure.
 */
import type { LadderRung } from '../../pipeline/ladder.ts';
import type { RecordedSwitch, SwitchSchedule } from '../../pipeline/switch-schedule.ts';
import { alternatedOrder } from '../../metrics/rounds.ts';
import { CODEC_BACKENDS, type CodecBackendName } from '../../codec/backends.ts';
import type { AllocationModeChoice } from '../engine.ts';
import type { RunRole } from './report.ts';
import type { TableModel } from './table.ts';
import { ROUNDS } from './warmup.ts';

/** A run's switches by frame index, as the ladder rungs they went to. */
export function recordedSwitches(
  switches: readonly { frameIndex: number; to: { width: number; height: number } }[],
  ladder: readonly { rung: LadderRung; size: { width: number; height: number } }[],
): RecordedSwitch[] {
  const out: RecordedSwitch[] = [];
  for (const s of switches) {
    const match = ladder.find((l) => l.size.width === s.to.width && l.size.height === s.to.height);
    if (match) out.push({ frameIndex: s.frameIndex, rung: match.rung });
  }
  return out;
}

export interface CompareSchedule {
  schedule: SwitchSchedule;
  /** Every run starts here (a recording brings its own start). */
  startRung: LadderRung;
  /** Where the schedule came from, for the status line and the report. */
  note: string;
}

/**
 * The schedule every run of a Compare replays. An automatic schedule (every N, storm) is
 * used as it is; manual switching replays `recording` (the last single manual run on the same
 * file), or no switches at all when there is none.
 */
export function compareSchedule(
  controls: SwitchSchedule,
  startRung: LadderRung,
  recording: { runLabel: string; startRung: LadderRung; switches: readonly RecordedSwitch[] } | null,
): CompareSchedule {
  if (controls.kind !== 'manual') return { schedule: controls, startRung, note: describeSchedule(controls) };
  if (!recording) {
    return { schedule: { kind: 'recorded', switches: [] }, startRung, note: 'none: switching is manual and no single run on this file recorded clicks (ladder clicks are off during Compare)' };
  }
  const n = recording.switches.length;
  return {
    schedule: { kind: 'recorded', switches: [...recording.switches] },
    startRung: recording.startRung,
    note: `the ${n} switch${n === 1 ? '' : 'es'} clicked in ${recording.runLabel}, replayed by frame index`,
  };
}

export function describeSchedule(s: SwitchSchedule): string {
  switch (s.kind) {
    case 'manual': return 'manual';
    case 'every': return `every ${s.frames} frames through the ladder`;
    case 'storm': return `storm, seed ${s.seed}, every ${s.everyFrames} frames`;
    case 'recorded': return s.switches.length === 0 ? 'none' : `${s.switches.length} recorded switches, replayed by frame index`;
  }
}

/** One configuration a Compare measures: an allocation mode on a codec backend. */
export interface CompareVariant {
  backend: CodecBackendName;
  mode: AllocationModeChoice;
  /** Its column title: the mode, prefixed with the backend when backends are compared too. */
  label: string;
}

const MODES: readonly AllocationModeChoice[] = ['pooled', 'unpooled'];

/**
 * What a Compare measures: both allocation modes on `backend`, or (across backends) both
 * modes on every backend — {ffmpeg.wasm, WebCodecs} × {pooled, unpooled}.
 */
export function compareVariants(backend: CodecBackendName, acrossBackends: boolean): CompareVariant[] {
  if (!acrossBackends) return MODES.map((mode) => ({ backend, mode, label: mode }));
  return CODEC_BACKENDS.flatMap((b) => MODES.map((mode) => ({ backend: b.name, mode, label: `${b.label} ${mode}` })));
}

export interface PlanStep {
  variant: CompareVariant;
  role: RunRole;
  /** 1-based round of a measured run (0 for the cold run). */
  round: number;
}

/** The runs of a Compare: the cold run (if any) then the alternated rounds (each variant once per round, the order reversed every other round). */
export function comparePlan(rounds: number, coldRun: boolean, variants: readonly CompareVariant[] = compareVariants('ffmpeg', false)): PlanStep[] {
  const measured = Array.from({ length: rounds }, (_, r) => roundSteps(variants, r + 1)).flat();
  return coldRun ? [{ variant: variants[0]!, role: 'cold', round: 0 }, ...measured] : measured;
}

/**
 * How many rounds per mode a Compare may reach when it adds rounds until its rows settle: twice
 * the chosen rounds, at most `ROUNDS.max`. Fewer than 3 chosen: none added (2 rounds each cannot
 * lean: their rank test never goes below 1 in 3).
 */
export function settleCap(rounds: number): number {
  return rounds >= 3 ? Math.min(ROUNDS.max, 2 * rounds) : rounds;
}

/**
 * Below this chance a row still leans one way, and another round may settle it: rows "not settled"
 * and "within noise" rows whose ranks are only mildly mixed. Measured: Compare twice on an unseen
 * clip, latency p50 was "pooled lower" after 10 rounds and "within noise" after 5 (medians 265 vs 504
 * ms, ranks mixed by chance about 1 in 5), a row with a real difference that 5 rounds left unjudged.
 */
export const SETTLE_CHANCE = 0.25;

/** The rows another round could settle: each leans one way, but by chance too often to say (one-round rows excluded). */
export function unsettledRows(model: TableModel): string[] {
  return model.rows.filter((r) => (r.verdict?.kind === 'unsettled' || r.verdict?.kind === 'noise') && (r.verdict.chance ?? 1) <= SETTLE_CHANCE).map((r) => r.label);
}

/** The steps of measured round `round` (1-based), continuing the alternated order. */
export function roundSteps(variants: readonly CompareVariant[], round: number): PlanStep[] {
  return alternatedOrder(variants, round).slice(-variants.length).map((variant) => ({ variant, role: 'measured', round }));
}
