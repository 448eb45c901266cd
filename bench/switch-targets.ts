/**
 * What a switch costs the viewer (issue 13): the switches table (every case with switches or
 * the drop policy) and the issue's targets, each the median over `--runs N` with every run's
 * figure listed. Pure functions: no I/O.
 */
import { spreadOf } from '../src/metrics/rounds.ts';
import { f1, markdownTable, quantile, type CaseFigures, type TargetResult, type Verdict } from './report.ts';
import type { SoakFigures } from './soak.ts';

const MB = 1024 * 1024;
/** One frame interval at 30 fps, ms: the issue's bound on the gap and on the ladder's p99 over p50. */
const FRAME_MS = 1000 / 30;
const pair = (values: readonly number[]): string => (values.length > 0 ? `${f1(quantile(values, 0.5))} / ${f1(quantile(values, 0.99))}` : '–');

export function switchesTable(cases: CaseFigures[]): string {
  const header = [
    'case', 'switches (clicks) [in the lead-in]', 'request → scaler p50/p99 ms', '→ encoder p50/p99 ms', '→ first bytes p50/p99 ms',
    'encoder gap p50/p99 ms (between frames with no switch)', 're-init p50/max ms', 'lateness p50/p99/max ms', 'dropped (bound)', 'latency by output height p50/p99 ms',
  ];
  const rows = cases.filter((c) => c.spec.kind === 'pipeline' && (c.switches > 0 || c.drops)).map((c) => {
    const s = c.switchValues;
    const late = c.lateness;
    return [
      c.ok ? c.id : `${c.id} (FAILED)`,
      `${c.switches} (${c.manualSwitches})${s.leadIn ? ` [${s.leadIn.count}]` : ''}`,
      pair(s.costMs), pair(s.toEncoderMs), pair(s.toFirstBytesMs), `${pair(s.gapMs)} (no switch ${pair(s.steadyGapMs ?? [])})`,
      c.reinits > 0 ? `${f1(c.reinitP50)} / ${f1(c.reinitMax)}` : '–',
      late ? `${f1(late.p50)} / ${f1(late.p99)} / ${f1(late.max)}` : '–',
      c.drops ? `${c.drops.total} (${c.drops.boundMs === null ? 'block' : `${f1(c.drops.boundMs)} ms`})` : '–',
      bySizeText(c),
    ];
  });
  return markdownTable(header, rows) +
    '\n\nPer switch, for switches at frame ≥ 30 (the lead-in left out, as in every latency figure; how many fell in it in square brackets): request (the click, or the scheduled frame taken by the scaler) → first new-size frame out of the scaler, → taken by its encoder, → first encoded bytes of the new segment out; ' +
    'encoder gap = last old-size frame taken by the old encoder → first new-size frame taken by the new one; in brackets the same take → take between consecutive frames of one segment (frames ≥ 30), the cadence plus the machine\'s jitter. Lateness (realtime) = frame taken by the encoder − due (frame 0\'s release + index × interval). ' +
    'Latency by output height: frames ≥ 30 grouped by the segment they went into; a size the machine cannot encode at 30 fps shows a full queue there (p50 ≫ one interval), switches or not.';
}

/** "240p 3.1/9.0 · 720p 240.2/301.9": latency per output height, smallest first. */
function bySizeText(c: CaseFigures): string {
  if (!c.bySize) return '–';
  return Object.entries(c.bySize)
    .map(([size, v]) => ({ height: Number(size.split('×')[1]), v }))
    .sort((a, b) => a.height - b.height)
    .map(({ height, v }) => `${height}p ${f1(v.latency.p50)}/${f1(v.latency.p99)}`).join(' · ');
}

/** One target's figure in one run: a value judged against the bound, and what to show. */
interface RunFigure {
  value: number;
  text: string;
}

const isCase = (what: string) => (c: CaseFigures): boolean => c.spec.id.startsWith(`switch-cost ${what}`);

/**
 * The issue-13 targets over `runs` (each run's case figures): per target a figure per run,
 * judged on their median (`ok(median)`); every run's figure is listed.
 */
export function switchCostTargets(runs: CaseFigures[][], soak: SoakFigures | null): TargetResult[] {
  const out: TargetResult[] = [];
  const target = (name: string, measuredOn: string, figure: (cases: CaseFigures[]) => RunFigure | null, ok: (median: number) => boolean, unit: string) => {
    const figures = runs.map(figure);
    const got = figures.filter((f): f is RunFigure => f !== null && Number.isFinite(f.value));
    if (got.length === 0) {
      out.push({ target: name, measuredOn, measured: 'case not run (--only switch-cost) or no value', verdict: 'n/a' });
      return;
    }
    const m = spreadOf(got.map((f) => f.value)).median;
    const each = figures.map((f, k) => `run ${k + 1}: ${f ? f.text : 'not run'}`).join('; ');
    const verdict: Verdict = got.length < runs.length ? 'n/a' : ok(m) ? 'meets' : 'short';
    const fmt = unit === '×' ? (v: number) => v.toFixed(2) : f1;
    out.push({ target: name, measuredOn, measured: `median ${fmt(m)}${unit} over ${got.length} run(s) (${each})`, verdict });
  };
  // Per encoder: ffmpeg.wasm's x264 runs the 720p rung below 30 fps on 2 cores (its queue, not the switch, makes the tail); WebCodecs' keeps up.
  for (const { codec, prefix } of [{ codec: 'ffmpeg.wasm', prefix: '' }, { codec: 'WebCodecs', prefix: 'webcodecs ' }]) {
    const caseOf = (what: string) => isCase(prefix + what);
    const within720 = (cases: CaseFigures[]) => cases.filter((c) => c.ok && (caseOf('ladder ≤720p')(c) || caseOf('clicks ≤720p')(c)));

    target(`encoder-side gap at a switch p99 ≤ one frame interval, 33.3 ms (rungs ≤ 720p), ${codec}`, `switch-cost ${prefix}ladder ≤720p + ${prefix}clicks ≤720p, every switch`, (cases) => {
      const gaps = within720(cases).flatMap((c) => c.switchValues.gapMs);
      // At realtime the frames themselves come 33.3 ms apart: a gap of one interval is the cadence, not a hiccup.
      const p99 = quantile(gaps, 0.99);
      // The same gap between frames with no switch: the cadence plus the machine's jitter, which a switch cannot beat.
      const steady = within720(cases).flatMap((c) => c.switchValues.steadyGapMs ?? []);
      const beside = steady.length > 0 ? `; with no switch p99 ${f1(quantile(steady, 0.99))} ms of ${steady.length}` : '';
      return gaps.length > 0 ? { value: p99, text: `p99 ${f1(p99)} ms of ${gaps.length} (${f1(p99 - FRAME_MS)} ms over one interval), p50 ${f1(quantile(gaps, 0.5))} ms (frames 33.3 ms apart)${beside}` } : null;
    }, (m) => m <= FRAME_MS, ' ms');

    target(`click → first encoded bytes of the new segment p99 ≤ 100 ms (rungs ≤ 720p), ${codec}`, `switch-cost ${prefix}clicks ≤720p`, (cases) => {
      const clicks = cases.find((c) => c.ok && caseOf('clicks ≤720p')(c));
      const v = clicks?.switchValues.toFirstBytesMs ?? [];
      // Clicks in the lead-in are left out of the p99, as every latency figure leaves out those frames, and shown here.
      const early = clicks?.switchValues.leadIn;
      const beside = early && early.count > 0
        ? `; left out, ${early.count} in the first ${early.frames} frames (cold code): first bytes ${early.toFirstBytesMs.map(f1).join(', ')} ms`
        : '';
      return v.length > 0 ? { value: quantile(v, 0.99), text: `p99 ${f1(quantile(v, 0.99))} ms of ${v.length} clicks${beside}` } : null;
    }, (m) => m <= 100, ' ms');

    // After the first 30 frames: the encoders' first start is not a switch (all frames shown too).
    target(`ladder every 30 frames (rungs ≤ 720p): latency p99 ≤ p50 + one frame interval (33.3 ms), ${codec}`, `switch-cost ${prefix}ladder ≤720p, frames ≥ 30; value = p99 − p50`, (cases) => {
      const ladder = cases.find((c) => c.ok && caseOf('ladder ≤720p')(c));
      const l = ladder?.latencyAfterWarmup;
      if (!l) return null;
      const all = ladder.latency ? `; all frames ${f1(ladder.latency.p50)} / ${f1(ladder.latency.p99)}` : '';
      return { value: l.p99 - l.p50, text: `p50 ${f1(l.p50)}, p99 ${f1(l.p99)} ms${all}; by output height ${bySizeText(ladder)}` };
    }, (m) => m <= FRAME_MS, ' ms');
  }

  // The issue bounds each frame's latency (released by the source → taken by the encoder). Lateness against the
  // due time also counts a decoder running behind realtime (a loaded machine), which no policy downstream can undo.
  target('drop policy, ladder with 1080p: every frame\'s latency within the bound, drops counted', 'switch-cost ladder with 1080p, drop; value = max latency (released → taken by the encoder) − bound', (cases) => {
    const drop = cases.find((c) => c.ok && isCase('ladder with 1080p, drop')(c));
    if (!drop?.lateness || !drop.drops || drop.drops.boundMs === null) return null;
    const byRung = Object.entries(drop.drops.byRung).map(([rung, n]) => `${rung}: ${n}`).join(', ');
    return {
      value: (drop.latency?.max ?? NaN) - drop.drops.boundMs,
      // Lateness includes a source released late (decoder behind realtime), which the policy keeps by design; latency starts at the release.
      text: `lateness max ${f1(drop.lateness.max)} ms (p99 ${f1(drop.lateness.p99)}) vs bound ${f1(drop.drops.boundMs)} ms, latency (decoded → encoder) max ${f1(drop.latency?.max ?? NaN)} ms; ${drop.drops.total} dropped (${drop.drops.atEncoder} at the encoder; ${byRung || 'none'})`,
    };
  }, (m) => m <= 0, ' ms');

  target('peak memory of all browser processes, 60 s input ÷ 10 s input ≤ 1.1× (the app\'s output path: OPFS)', 'switch-cost memory, output to disk, 720p-60s ÷ 720p-10s, all Chromium RSS', (cases) => {
    const [p10, p60] = ['720p-10s', '720p-60s'].map((input) => cases.find((c) => c.ok && isCase('memory, output to disk')(c) && c.spec.input === input)?.os);
    if (!p10 || !p60) return null;
    const ratio = p60.allPeakRss / p10.allPeakRss;
    return { value: ratio, text: `${(p10.allPeakRss / MB).toFixed(0)} → ${(p60.allPeakRss / MB).toFixed(0)} MB = ${ratio.toFixed(2)}×` };
  }, (m) => m <= 1.1, '×');

  if (soak) {
    out.push({ target: 'soak: memory slope after the first minute < 1 MB/min', measuredOn: `--soak ${soak.minutes}, renderer RSS after ${soak.warmupMin} min`, measured: `${soak.slopeMbPerMin.toFixed(2)} MB/min`, verdict: soak.failure === null && soak.slopeMbPerMin < 1 ? 'meets' : 'short' });
  } else {
    out.push({ target: 'soak: memory slope after the first minute < 1 MB/min', measuredOn: '–', measured: 'run `npm run bench -- --soak 30`', verdict: 'n/a' });
  }
  return out;
}
