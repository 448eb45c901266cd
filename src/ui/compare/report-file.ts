/**
 * The saved report: what ran, on what, how it was compared, and every run's figures. The
 * exporter writes the current version; the loader reads it (and version 1, which had runs
 * only) back into the same shapes, so a loaded report gives the same table.
 */
import type { SwitchSchedule } from '../../pipeline/switch-schedule.ts';
import { MEMORY_KINDS, type MemoryKind, type RunReport, type RunRole } from './report.ts';

export const REPORT_KIND = 'framepool-lab-report';
export const REPORT_VERSION = 2;

/** What a report was measured on. */
export interface Environment {
  /** Browser brands and full versions (User-Agent Client Hints), else the user-agent string. */
  browser: string;
  userAgent: string;
  platform: string | null;
  /** navigator.hardwareConcurrency (logical cores the browser reports). */
  cores: number | null;
  /** navigator.deviceMemory in GiB (rounded by the browser), when it tells. */
  deviceMemoryGiB: number | null;
  crossOriginIsolated: boolean;
  /** The app's git commit at build time. */
  commit: string;
  /** The scaler every run of the page used, in both modes ('wasm-simd' or 'typescript'; null in files from before). */
  scaler: string | null;
}

/** How a Compare was run: fixed before its first run. */
export interface CompareSetup {
  /** Measured rounds per mode, the added ones included. */
  rounds: number;
  /** Of those, rounds added because rows were not settled (0 in files from before). */
  addedRounds: number;
  /** Modes in the order they ran (measured rounds only). */
  order: string[];
  /** Whether a cold run (not counted) went first. */
  coldRun: boolean;
  /** The switch schedule every run replayed by frame index. */
  schedule: SwitchSchedule;
  /** Where the schedule came from, in words. */
  scheduleNote: string;
  /** `backends`: the codec backends the Compare ran (absent in files from before there was a choice: ffmpeg.wasm). */
  settings: { codec: string; pacing: string; startRung: string; backends?: string };
}

export interface ReportFile {
  kind: typeof REPORT_KIND;
  version: number;
  /** ISO date the report was made (or, for version 1, null). */
  date: string | null;
  file: string | null;
  environment: Environment | null;
  warmup: { description: string; leadInFrames: number } | null;
  compare: CompareSetup | null;
  runs: RunReport[];
}

/** JSON text of a report (NaN becomes null, as JSON has no NaN). */
export function reportFileJson(report: Omit<ReportFile, 'kind' | 'version'>): string {
  const out = { kind: REPORT_KIND, version: REPORT_VERSION, ...report };
  return JSON.stringify(out, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
}

/** A file the loader cannot read; the message is a sentence for the page. */
export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A number as the exporter wrote it: null (was NaN) and anything else unreadable become NaN. */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const ROLES: readonly RunRole[] = ['single', 'cold', 'measured'];
const SCHEDULE_KINDS = ['manual', 'every', 'storm', 'recorded'];

/**
 * Reads a saved report. Throws ReportFileError saying what is wrong (not JSON, not a
 * FramePool Lab report, a newer version, no runs) for anything else.
 */
export function parseReportFile(text: string, fileName = 'the file'): ReportFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ReportFileError(`${fileName} is not a FramePool Lab report: it is not JSON. Choose a .json file saved with "Report JSON".`);
  }
  if (!isObject(data) || data['kind'] !== REPORT_KIND) {
    throw new ReportFileError(`${fileName} is not a FramePool Lab report (it has no "kind": "${REPORT_KIND}"). Choose a .json file saved with "Report JSON".`);
  }
  const version = data['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ReportFileError(`${fileName} is a FramePool Lab report without a readable version.`);
  }
  if (version > REPORT_VERSION) {
    throw new ReportFileError(`${fileName} is a version ${version} report, newer than this page reads (up to ${REPORT_VERSION}): open it with a newer FramePool Lab.`);
  }
  const runs = data['runs'];
  if (!Array.isArray(runs) || runs.length === 0 || !runs.every(isObject)) {
    throw new ReportFileError(`${fileName} is a FramePool Lab report with no runs in it.`);
  }
  const warmup = isObject(data['warmup']) ? { description: str(data['warmup']['description']), leadInFrames: num(data['warmup']['leadInFrames']) } : null;
  return {
    kind: REPORT_KIND,
    version,
    date: strOrNull(data['date']),
    file: strOrNull(data['file']),
    environment: isObject(data['environment']) ? parseEnvironment(data['environment']) : null,
    warmup,
    compare: isObject(data['compare']) ? parseCompare(data['compare']) : null,
    runs: runs.map(parseRun),
  };
}

function parseEnvironment(e: Json): Environment {
  return {
    browser: str(e['browser']),
    userAgent: str(e['userAgent']),
    platform: strOrNull(e['platform']),
    cores: numOrNull(e['cores']),
    deviceMemoryGiB: numOrNull(e['deviceMemoryGiB']),
    crossOriginIsolated: e['crossOriginIsolated'] === true,
    commit: str(e['commit'], 'unknown'),
    scaler: typeof e['scaler'] === 'string' ? e['scaler'] : null,
  };
}

function parseCompare(c: Json): CompareSetup {
  const schedule = isObject(c['schedule']) && SCHEDULE_KINDS.includes(str(c['schedule']['kind']))
    ? c['schedule'] as unknown as SwitchSchedule
    : { kind: 'manual' } as const;
  const settings = isObject(c['settings']) ? c['settings'] : {};
  return {
    rounds: num(c['rounds']),
    addedRounds: num(c['addedRounds']) || 0,
    order: Array.isArray(c['order']) ? c['order'].map((m) => str(m)) : [],
    coldRun: c['coldRun'] === true,
    schedule,
    scheduleNote: str(c['scheduleNote']),
    settings: { codec: str(settings['codec']), pacing: str(settings['pacing']), startRung: str(settings['startRung']), backends: str(settings['backends'], 'ffmpeg') },
  };
}

function parseRun(r: Json): RunReport {
  const latency = isObject(r['latencyMs']) ? r['latencyMs'] : {};
  const sw = isObject(r['switchLatencyMs']) ? r['switchLatencyMs'] : {};
  const reinit = isObject(r['reinitMs']) ? r['reinitMs'] : {};
  const peakIn = isObject(r['peakMemory']) ? r['peakMemory'] : {};
  const peakMemory: Partial<Record<MemoryKind, number>> = {};
  for (const { kind } of MEMORY_KINDS) if (kind in peakIn) peakMemory[kind] = num(peakIn[kind]);
  const role = ROLES.find((x) => x === r['role']);
  const out: RunReport = {
    label: str(r['label'], 'run'),
    mode: str(r['mode'], 'unknown'),
    codec: str(r['codec']),
    pacing: str(r['pacing']),
    fileName: str(r['fileName']),
    outcome: str(r['outcome']),
    frames: num(r['frames']),
    throughputFps: num(r['throughputFps']),
    leadInFrames: num(r['leadInFrames']),
    latencyMs: { p50: num(latency['p50']), p95: num(latency['p95']), p99: num(latency['p99']), max: num(latency['max']), maxWholeRun: num(latency['maxWholeRun']) },
    allocationsPerFrame: num(r['allocationsPerFrame']),
    allocationsPerFrameAfterWarmup: num(r['allocationsPerFrameAfterWarmup']),
    mbAllocated: num(r['mbAllocated']),
    bytesCopiedPerFrame: num(r['bytesCopiedPerFrame']),
    codecBytesCopiedPerFrame: num(r['codecBytesCopiedPerFrame']),
    gluePerFrame: (() => {
      const g = isObject(r['gluePerFrame']) ? r['gluePerFrame'] : {};
      return { inputReads: num(g['inputReads']), logLines: num(g['logLines']), viewsMade: num(g['viewsMade']) };
    })(),
    peakMemory,
    stalls: num(r['stalls']),
    reuseRatio: num(r['reuseRatio']),
    switches: num(r['switches']),
    switchLatencyMs: { p50: num(sw['p50']), p99: num(sw['p99']) },
    reinitMs: { p50: num(reinit['p50']), p99: num(reinit['p99']) },
    segments: num(r['segments']),
  };
  if (role) out.role = role;
  if (isObject(r['schedule']) && SCHEDULE_KINDS.includes(str(r['schedule']['kind']))) out.schedule = r['schedule'] as unknown as SwitchSchedule;
  if (typeof r['startRung'] === 'string') out.startRung = r['startRung'];
  if (typeof r['round'] === 'number') out.round = r['round'];
  if ('detail' in r) out.detail = r['detail'];
  // Rows added after version 2 first shipped: kept when present (JSON has null for NaN).
  const gap = isObject(r['gapMs']) ? r['gapMs'] : null;
  if (gap) out.gapMs = { p50: num(gap['p50']), p99: num(gap['p99']) };
  const late = isObject(r['latenessMs']) ? r['latenessMs'] : null;
  if (late) out.latenessMs = { p50: num(late['p50']), p99: num(late['p99']), max: num(late['max']) };
  const outMs = isObject(r['outMs']) ? r['outMs'] : null;
  if (outMs) out.outMs = { p50: num(outMs['p50']), p99: num(outMs['p99']), max: num(outMs['max']), count: num(outMs['count']) };
  if ('heldAtEnd' in r) out.heldAtEnd = r['heldAtEnd'] === null ? null : num(r['heldAtEnd']);
  if (typeof r['framesInFlight'] === 'number') out.framesInFlight = r['framesInFlight'];
  if (typeof r['encoders'] === 'number') out.encoders = r['encoders'];
  const samples = r['latencySamplesMs'];
  if (Array.isArray(samples) && samples.every((v) => typeof v === 'number')) out.latencySamplesMs = samples as number[];
  if (typeof r['frameIntervalMs'] === 'number') out.frameIntervalMs = r['frameIntervalMs'];
  return out;
}
