/**
 * A case's renderer, byte by byte, from the lab probe's series (bench/case-probe.ts): the
 * probe's accounting (lab/accounting.ts: V8 and Oilpan heaps, backing stores, pool and codec
 * WASM resident, native heaps, binary and libraries, shared memory, JIT code; unaccounted =
 * renderer PSS − measured) at the case's baseline and at its peak, how much of the renderer's
 * growth the measured kinds explain, and unaccounted as a share of the renderer. Pure
 * functions: no I/O.
 */
import type { ProbeSample } from '../lab/probe.ts';
import type { LabAccount } from '../lab/protocol.ts';
import { spreadOf, type Spread } from '../src/metrics/rounds.ts';
import type { TargetResult } from './report.ts';

const MB = 1024 * 1024;

/** One probe sample as the bench report keeps it (the OS process list and in-app figures left out). */
export interface ProbeRecord {
  t: number;
  tookMs: number;
  account: LabAccount;
  /** Each worker's heap: role, V8 committed, backing stores, Oilpan, answer ms. */
  workers: { role: string; total: number; backing: number; blink: number; ms: number }[];
}

export function recordOf(s: ProbeSample): ProbeRecord {
  return {
    t: s.t, tookMs: s.tookMs, account: s.account,
    workers: s.workers.map((w) => ({ role: w.role, total: w.total, backing: w.backing, blink: w.blink, ms: w.ms })),
  };
}

/** The kinds of one accounted sample, bytes. */
export interface Kinds {
  renderer: number;
  v8Heaps: number;
  backingStores: number;
  blinkHeaps: number;
  pool: number;
  wasm: number;
  nativeHeaps: number;
  files: number;
  sharedMemory: number;
  jitCode: number;
  measured: number;
  unaccounted: number;
  /** Context, not summed: the private memory that is neither WASM nor PartitionAlloc (V8 and Oilpan heaps live in it). */
  otherPrivate: number;
}

export interface ProbeFigures {
  /** Samples taken during the case (its start to its end) and their rate. */
  samples: number;
  rateHz: number;
  /** Samples of the run with their own smaps split (only those account). */
  accounted: number;
  /** Median answer time of a worker's heap reading during the run, ms. */
  answerMsP50: number;
  /** The last accounted sample before the case started, and the run's accounted sample with the largest renderer PSS. */
  base: Kinds | null;
  peak: Kinds | null;
  /** (peak.measured − base.measured) ÷ (peak.renderer − base.renderer). */
  measuredShareOfGrowth: number;
  /** (peak.unaccounted − base.unaccounted) ÷ the renderer's growth. */
  unaccountedShareOfGrowth: number;
  /** peak.unaccounted ÷ peak.renderer. */
  unaccountedShareAtPeak: number;
  /** |unaccounted| ÷ renderer over the run's accounted samples. */
  unaccountedShare: Spread;
}

function kindsOf(a: LabAccount): Kinds | null {
  if (a.renderer === null || a.unaccounted === null) return null;
  const z = (v: number | null) => v ?? 0;
  return {
    renderer: a.renderer, v8Heaps: a.pageHeap + a.workerHeaps, backingStores: a.backingStores, blinkHeaps: a.blinkHeaps,
    pool: a.pool, wasm: a.wasm, nativeHeaps: z(a.nativeHeaps), files: z(a.files), sharedMemory: z(a.sharedMemory), jitCode: z(a.jitCode),
    measured: a.measured, unaccounted: a.unaccounted, otherPrivate: z(a.otherPrivate),
  };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/**
 * The figures of the case that ran from `from` to `to` (ms since the epoch) in the renderer
 * `rendererPid` (null: whichever the samples name); null without samples in that window. Only
 * samples that accounted for that renderer count (the probe may have guessed another one first).
 */
export function probeFigures(records: readonly ProbeRecord[], from: number, to: number, rendererPid: number | null): ProbeFigures | null {
  if (!(to > from)) return null;
  const during = records.filter((r) => r.t >= from && r.t <= to);
  if (during.length === 0) return null;
  const ours = (r: ProbeRecord) => rendererPid === null || r.account.rendererPid === rendererPid;
  const accounted = (list: readonly ProbeRecord[]) => list.filter(ours).map((r) => kindsOf(r.account)).filter((k): k is Kinds => k !== null);
  const base = accounted(records.filter((r) => r.t < from)).at(-1) ?? null;
  const run = accounted(during);
  const peak = run.reduce<Kinds | null>((best, k) => (best === null || k.renderer > best.renderer ? k : best), null);
  const growth = base && peak ? peak.renderer - base.renderer : NaN;
  const share = (d: number) => (growth > 0 ? d / growth : NaN);
  const span = during.length > 1 ? during.at(-1)!.t - during[0]!.t : 0;
  return {
    samples: during.length,
    rateHz: span > 0 ? ((during.length - 1) * 1000) / span : NaN,
    accounted: run.length,
    answerMsP50: median(during.flatMap((r) => r.workers.map((w) => w.ms))),
    base, peak,
    measuredShareOfGrowth: base && peak ? share(peak.measured - base.measured) : NaN,
    unaccountedShareOfGrowth: base && peak ? share(peak.unaccounted - base.unaccounted) : NaN,
    unaccountedShareAtPeak: peak ? peak.unaccounted / peak.renderer : NaN,
    unaccountedShare: spreadOf(run.map((k) => Math.abs(k.unaccounted) / k.renderer)),
  };
}

const mb = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? (v / MB).toFixed(0) : '–');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '–');

/** The kinds column's order (the table's header says it). */
export const KIND_ORDER = 'V8 heaps / buffers / Oilpan / pool / WASM / native heaps / files / shared / JIT';

export function kindsCell(k: Kinds | null): string {
  if (!k) return '–';
  return [k.v8Heaps, k.backingStores, k.blinkHeaps, k.pool, k.wasm, k.nativeHeaps, k.files, k.sharedMemory, k.jitCode].map(mb).join(' / ');
}

/** One row per case: rate, renderer PSS base → peak, the shares, the kinds at the peak. */
export function probeRows(cases: readonly { id: string; probe?: ProbeFigures | null }[]): string[][] {
  return cases.map((c) => {
    const p = c.probe;
    if (!p) return [c.id, '–', '–', '–', '–', '–', '–', '–'];
    const u = p.unaccountedShare;
    return [
      c.id,
      `${Number.isFinite(p.rateHz) ? p.rateHz.toFixed(1) : '–'} (${p.accounted} split, answer ${Number.isFinite(p.answerMsP50) ? p.answerMsP50.toFixed(0) : '–'} ms)`,
      `${mb(p.base?.renderer)} → ${mb(p.peak?.renderer)}`,
      pct(p.measuredShareOfGrowth),
      p.peak ? `${mb(p.peak.unaccounted)} (${pct(p.unaccountedShareAtPeak)})` : '–',
      u.n > 0 ? `${pct(u.median)} / ${pct(u.max)}` : '–',
      pct(p.unaccountedShareOfGrowth),
      kindsCell(p.peak),
    ];
  });
}

export const PROBE_HEADER = [
  'case', 'probe Hz in run (split samples, worker answer p50)', 'renderer PSS base → peak MB', 'measured growth ÷ PSS growth',
  'unaccounted at peak MB (÷ PSS)', '|unaccounted| ÷ PSS in run p50 / max', 'unaccounted growth ÷ PSS growth', `at peak MB: ${KIND_ORDER}`,
];

/** The accounting targets (issues 6 and 12) over the pipeline runs that have probe figures. */
export function accountingTargets(cases: readonly { id: string; mode?: string; probe?: ProbeFigures | null }[]): TargetResult[] {
  const runs = cases.filter((c) => c.probe && Number.isFinite(c.probe.measuredShareOfGrowth));
  const on = `${runs.length} pipeline run(s) with the lab probe`;
  if (runs.length === 0) {
    const why = 'no pipeline run had an accounted baseline and peak (not Linux, --only, or no smaps split)';
    return [
      { target: 'measured kinds explain 85–115% of the renderer\'s growth (PSS)', measuredOn: '–', measured: why, verdict: 'n/a' },
      { target: 'unaccounted < 15% of the renderer (PSS) at the run\'s peak', measuredOn: '–', measured: why, verdict: 'n/a' },
    ];
  }
  const range = (mode: string, of: (p: ProbeFigures) => number) => {
    const v = runs.filter((c) => c.mode === mode).map((c) => of(c.probe!));
    return v.length === 0 ? `${mode} none` : `${mode} ${pct(Math.min(...v))}–${pct(Math.max(...v))} in ${v.length}`;
  };
  const worst = (of: (p: ProbeFigures) => number) => runs.reduce((a, b) => (Math.abs(of(b.probe!)) > Math.abs(of(a.probe!)) ? b : a));
  const share = (p: ProbeFigures) => p.measuredShareOfGrowth;
  const atPeak = (p: ProbeFigures) => p.unaccountedShareAtPeak;
  const w1 = worst((p) => share(p) - 1);
  const w2 = worst(atPeak);
  return [
    {
      target: 'measured kinds explain 85–115% of the renderer\'s growth (PSS)', measuredOn: on,
      measured: `${range('pooled', share)}, ${range('unpooled', share)}; furthest from 100%: ${w1.id} ${pct(share(w1.probe!))}`,
      verdict: runs.every((c) => share(c.probe!) >= 0.85 && share(c.probe!) <= 1.15) ? 'meets' : 'short',
    },
    {
      target: 'unaccounted < 15% of the renderer (PSS) at the run\'s peak', measuredOn: on,
      measured: `${range('pooled', atPeak)}, ${range('unpooled', atPeak)}; largest: ${w2.id} ${mb(w2.probe!.peak?.unaccounted)} of ${mb(w2.probe!.peak?.renderer)} MB`,
      verdict: runs.every((c) => Math.abs(atPeak(c.probe!)) < 0.15) ? 'meets' : 'short',
    },
  ];
}
