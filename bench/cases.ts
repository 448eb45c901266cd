/** The bench's cases: which runs make up `npm run bench`, `--quick` and `--soak`. */
import type { CaseKind, PacingName, AllocationModeName, ScheduleName } from './protocol.ts';
import type { InputId } from './inputs.ts';

export interface CaseSpec {
  id: string;
  kind: CaseKind;
  input: InputId | 'soak';
  mode?: AllocationModeName;
  pacing?: PacingName;
  schedule?: ScheduleName;
  stormSwitches?: number;
  clickEveryMs?: [number, number];
  stopAfterMs?: number;
  keepLatencySeries?: boolean;
  stageFrames?: number;
  /** OS sampling interval. */
  osEveryMs: number;
  /** The case is abandoned (and the bench fails) after this long. */
  timeoutMs: number;
}

const OS_MS = 100;

function pipeline(input: InputId, mode: AllocationModeName, pacing: PacingName, schedule: ScheduleName, extra: Partial<CaseSpec> = {}): CaseSpec {
  const id = `${mode} ${pacing} ${schedule}${extra.stormSwitches ? `(${extra.stormSwitches})` : ''} @${input}`;
  return { id, kind: 'pipeline', input, mode, pacing, schedule, osEveryMs: OS_MS, timeoutMs: 10 * 60_000, ...extra };
}

function baseline(kind: 'baseline-exec' | 'baseline-api' | 'stage-alone', input: InputId, extra: Partial<CaseSpec> = {}): CaseSpec {
  return { id: `${kind} @${input}`, kind, input, osEveryMs: OS_MS, timeoutMs: 10 * 60_000, ...extra };
}

/** A user's clicks at realtime: one every 250–450 ms (≈ 8–13 frames at 30 fps). */
const CLICKS: Partial<CaseSpec> = { clickEveryMs: [250, 450] };

export function fullCases(): CaseSpec[] {
  const cases: CaseSpec[] = [
    baseline('stage-alone', '720p-10s'),
    baseline('stage-alone', '1080p-10s'),
  ];
  for (const input of ['720p-10s', '720p-60s', '1080p-10s'] as const) {
    cases.push(baseline('baseline-exec', input), baseline('baseline-api', input));
    for (const mode of ['pooled', 'unpooled'] as const) cases.push(pipeline(input, mode, 'max', 'none'));
  }
  for (const mode of ['pooled', 'unpooled'] as const) {
    cases.push(
      pipeline('720p-10s', mode, 'max', 'every30'),
      pipeline('720p-10s', mode, 'realtime', 'none'),
      pipeline('720p-10s', mode, 'realtime', 'every30'),
      pipeline('720p-60s', mode, 'realtime', 'clicks', CLICKS),
      pipeline('720p-60s', mode, 'max', 'storm', { stormSwitches: 1000 }),
    );
  }
  return cases;
}

/** Smallest input, fewer cases: keeps the bench working in CI (under 2 minutes on 2 cores). */
export function quickCases(): CaseSpec[] {
  return [
    baseline('stage-alone', '720p-10s', { stageFrames: 120 }),
    baseline('baseline-exec', '720p-10s'),
    baseline('baseline-api', '720p-10s'),
    pipeline('720p-10s', 'pooled', 'max', 'none'),
    pipeline('720p-10s', 'unpooled', 'max', 'none'),
    pipeline('720p-10s', 'pooled', 'realtime', 'clicks', CLICKS),
    pipeline('720p-10s', 'pooled', 'max', 'storm', { stormSwitches: 200 }),
  ];
}

/** Realtime 720p, a switch every 30 frames, pooled, for `minutes`. */
export function soakCase(minutes: number): CaseSpec {
  return {
    id: `soak pooled realtime every30 ${minutes} min`,
    kind: 'pipeline', input: 'soak', mode: 'pooled', pacing: 'realtime', schedule: 'every30',
    stopAfterMs: minutes * 60_000, keepLatencySeries: true,
    osEveryMs: 1000, timeoutMs: minutes * 60_000 + 5 * 60_000,
  };
}
