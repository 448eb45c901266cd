/**
 * `npm run bench`: the product's numbers side by side in one run (issue 6).
 *
 *   npm run bench                   every case on every input (about 10 minutes on 2 cores)
 *   npm run bench -- --quick        smallest input, fewer cases (CI: keeps the bench working)
 *   npm run bench -- --soak 10      realtime 720p, switch every 30 frames, pooled, 10 minutes
 *   npm run bench -- --only storm   cases whose id contains "storm" (repeatable); a fair
 *                                   comparison runs whole (warm-up and every round) if any of its runs matches
 *   npm run bench -- --only "=pooled max none @720p-10s"   that one case: '=' matches the whole id
 *   npm run bench -- --only fair-compare   just the fair comparison of the two modes (issue 10);
 *                                   with --quick its small version (2 rounds, 150 frames a run)
 *   npm run bench -- --only probe-cost     fps with the lab probe on ÷ off (issue 12), 3 runs each,
 *                                   alternated; with --quick each run stops after 150 frames
 *   npm run bench -- --only switch-cost    what a switch costs the viewer (issue 13), about 6 minutes
 *   npm run bench -- --runs 3       the selected cases 3 times, interleaved (every case once, then
 *                                   again); each run's tables, and issue 13's targets as the median
 *                                   over runs (the fair comparison and probe cost run once: they alternate rounds already)
 *
 * The speed cases (cases.ts SPEED: the baselines, the stages alone, every `max none` case the
 * fps targets and the four-way table read) run warm and without the lab's probe: first an
 * unmeasured warm-up run of the same work in the same page (WARM_UP_FRAMES frames), then the
 * measured run in fresh workers. Every other case runs in a fresh page with the probe
 * (bench/case-probe.ts), so it gets the renderer byte by byte (bench/probe-accounting.ts).
 *
 * Steps: build the bench page (bench/vite.bench.config.ts → bench/dist), make the inputs
 * (bench/inputs, cached), serve both on loopback with COOP/COEP/CORP, run the Node
 * micro-benches (pool handoff, scaler vs swscale), then each browser case in a freshly
 * launched headless Chromium while /proc is sampled. Prints the tables and targets; writes
 * the full report to bench/results/. Exits 0 whatever the targets say; non-zero only when the
 * bench itself breaks (build, server, browser, a case that never answers).
 *
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium); BENCH_DEBUG=1 echoes the page's
 * console (the bench worker's progress lines).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { fullCases, onlyMatches, quickCases, quickFairCompareCases, quickProbeCostCases, selectCases, soakCase, WARM_UP_FRAMES, type CaseSpec } from './cases.ts';
import { ensureInput, ensureSoakInput, INPUT_DIR, INPUTS, type InputId } from './inputs.ts';
import { OsMemorySampler, osMemoryAvailable } from './os-memory.ts';
import { handoffByVariant, runPoolHandoffBench, type PoolHandoffBenchResult } from './pool-handoff.ts';
import { handoffHostsTable, runChromiumHandoff, type HandoffByVariant } from './handoff/chromium.ts';
import type { BenchCaseConfig, BenchCaseResult } from './protocol.ts';
import {
  caseFigures, evaluateTargets, markdownTable, memoryTable, osFigures, speedTable, stageAloneTable, targetsTable,
  type CaseFigures, type StageAlone,
} from './report.ts';
import { soakFigures, type SoakFigures } from './soak.ts';
import { switchCostTargets, switchesTable } from './switch-targets.ts';
import { speedRunsSection } from './speed-runs.ts';
import { fairCompareResults, fairCompareSection } from './fair-compare.ts';
import { startCaseProbe, type CaseProbe } from './case-probe.ts';
import { accountingTargets, probeFigures, probeRows, PROBE_HEADER, recordOf, type ProbeRecord } from './probe-accounting.ts';
import { probeCostResults, probeCostSection } from './probe-cost.ts';
import { fourWayTable } from './four-way.ts';
import { runScalerComparison, type ScalerComparison } from './scaler-vs-swscale.ts';
import { startBenchServer } from './server.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const DIST_DIR = join(BENCH_DIR, 'dist');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // measureUserAgentSpecificMemory answers in tens of ms instead of 8–18 s.
  '--enable-blink-features=ForceEagerMeasureMemory',
  // performance.memory: exact, not bucketed.
  '--enable-precise-memory-info',
];

interface Options {
  quick: boolean;
  soakMinutes: number | null;
  only: string[];
  runs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, soakMinutes: null, only: [], runs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--soak') {
      const minutes = Number(argv[++i]);
      if (!(minutes >= 1)) throw new UsageError('--soak takes a number of minutes (≥ 1), e.g. --soak 10');
      options.soakMinutes = minutes;
    } else if (arg === '--only') {
      const pattern = argv[++i];
      if (!pattern || pattern === '=') throw new UsageError('--only takes part of a case id, e.g. --only storm, or =ID for one whole id');
      options.only.push(pattern);
    } else if (arg === '--runs') {
      const runs = Number(argv[++i]);
      if (!(Number.isInteger(runs) && runs >= 1)) throw new UsageError('--runs takes a whole number of runs (≥ 1), e.g. --runs 3');
      options.runs = runs;
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench [-- --quick | --soak MINUTES] [--only TEXT | --only =ID]… [--runs N]');
      process.exit(0);
    } else throw new UsageError(`unknown option ${arg}`);
  }
  if (options.runs > 1 && options.soakMinutes !== null) throw new UsageError('--runs does not repeat a soak: run --soak once');
  return options;
}

class UsageError extends Error {
  override name = 'UsageError';
}

const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string): void => console.log(`[bench ${elapsed()}] ${line}`);

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Other busy processes at the start (another engineer's tests make the figures noisy). */
function otherLoad(): string[] {
  try {
    // %CPU over the last second per process, from two /proc samples (ps shows lifetime averages).
    const ours = new Set([process.pid, process.ppid]);
    const out = execFileSync('sh', ['-c', 'top -b -n 2 -d 1 -w 200 | awk \'/^top -/{n++} n==2 && $1 ~ /^[0-9]+$/ && $9+0 >= 10 {print $1, $9"%", $12}\''], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.trim()).filter(Boolean)
      .filter((l) => !ours.has(Number(l.split(/\s+/)[0])))
      .slice(0, 8);
  } catch {
    return [];
  }
}

async function buildPage(): Promise<void> {
  const started = performance.now();
  await build({ configFile: join(BENCH_DIR, 'vite.bench.config.ts'), logLevel: 'warn' });
  log(`built the bench page in ${((performance.now() - started) / 1000).toFixed(1)} s → ${DIST_DIR}`);
}

interface CaseRun {
  spec: CaseSpec;
  /** Which of --runs N (1-based). */
  run: number;
  result: BenchCaseResult;
  os: ReturnType<OsMemorySampler['samples']['slice']>;
  rendererPid: number | null;
  /** The lab probe's samples (empty when the case ran without it). */
  probe: ProbeRecord[];
  browserVersion: string;
  wallMs: number;
}

async function runCase(spec: CaseSpec, run: number, origin: string, inputFile: string): Promise<CaseRun> {
  const started = performance.now();
  const config: BenchCaseConfig = {
    id: spec.id, kind: spec.kind, inputUrl: `${origin}/inputs/${inputFile}`, inputName: inputFile, targetHeight: 480,
    mode: spec.mode, backend: spec.backend, encoderSwitch: spec.encoderSwitch, pacing: spec.pacing, schedule: spec.schedule, stormSwitches: spec.stormSwitches,
    clickEveryMs: spec.clickEveryMs, topRung: spec.topRung, livePolicy: spec.livePolicy, output: spec.output, stopAfterMs: spec.stopAfterMs ?? 0, stopAfterFrames: spec.stopAfterFrames ?? 0, keepLatencySeries: spec.keepLatencySeries ?? false, stageFrames: spec.stageFrames,
    warmUpFrames: spec.warmUp ? WARM_UP_FRAMES : 0,
    // Coarser in-app sampling only for long runs (soak); a short stopped run keeps 100 ms.
    sampleEveryMs: (spec.stopAfterMs ?? 0) >= 60_000 ? 500 : 100, settleMs: 400,
  };
  // A fresh browser per case: fresh renderer, fresh workers, a clean OS baseline.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const sampler = new OsMemorySampler();
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('crash', () => pageErrors.push('the page crashed (renderer process gone)'));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) pageErrors.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') pageErrors.push(`console.${message.type()}: ${message.text()}`);
      if (process.env['BENCH_DEBUG']) log(`  page console.${message.type()}: ${message.text()}`);
    });
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 30_000 });
    await page.setInputFiles('#bench-input', join(INPUT_DIR, inputFile)); // a disk-backed File, as a user's pick
    sampler.start(spec.osEveryMs);
    const probe: CaseProbe | null = spec.probe === false ? null : await startCaseProbe(page, () => sampler.sample(), spec.probeEveryMs, spec.probeWorkerEveryMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case "${spec.id}" did not answer within ${spec.timeoutMs / 1000} s`)), spec.timeoutMs);
    });
    let result: BenchCaseResult;
    try {
      result = await Promise.race([page.evaluate((c) => window.runBenchCase(c), config), timeout]);
    } catch (error) {
      if (pageErrors.length > 0 && error instanceof Error) error.message += ` (${pageErrors.slice(-5).join('; ')})`;
      throw error;
    } finally {
      clearTimeout(timer);
      sampler.stop();
    }
    const probeSamples = (await probe?.stop())?.map(recordOf) ?? [];
    if (pageErrors.length > 0) result.notes.push(...pageErrors.map((e) => `page error: ${e}`));
    return { spec, run, result, os: sampler.samples, rendererPid: sampler.pageRenderer(), probe: probeSamples, browserVersion: browser.version(), wallMs: performance.now() - started };
  } finally {
    await browser.close();
  }
}

function describeCase(run: CaseRun, figures: CaseFigures | null): string {
  const r = run.result;
  const w = r.warmUp;
  const wall = `${(run.wallMs / 1000).toFixed(1)} s${w ? `; warm-up ${w.ok ? `${w.frames} frames${Number.isFinite(w.fps) ? ` at ${w.fps.toFixed(1)} fps` : ''}` : 'FAILED'} in ${(w.wallMs / 1000).toFixed(1)} s` : ''}`;
  const id = figures?.id ?? `${run.spec.id}${run.run > 1 ? ` (run ${run.run})` : ''}`; // with --runs N, the run's name
  if (!r.ok) return `${id}: FAILED (${r.failure}) [${wall}]`;
  if (r.stageAlone) return `${id}: decode ${r.stageAlone.decodeFps.toFixed(0)} fps, scale ${r.stageAlone.scaleFps.toFixed(0)} fps, encode ${r.stageAlone.encodeFps.toFixed(0)} fps; side by side: encode ${r.stageAlone.encodeBesideFps.toFixed(0)}, decode + scale ${r.stageAlone.decodeScaleBesideFps.toFixed(0)} fps [${wall}]`;
  const lat = r.latency ? `, latency p50 ${r.latency.p50.toFixed(1)} ms p99 ${r.latency.p99.toFixed(1)} ms` : '';
  const os = figures?.os ? `, renderer RSS peak ${(figures.os.peakRss / 1048576).toFixed(0)} MB` : '';
  return `${id}: ${r.frames} frames, ${r.fps.toFixed(1)} fps${lat}${os} [${wall}]`;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const mode = options.soakMinutes !== null ? 'soak' : options.quick ? 'quick' : 'full';
  // --quick includes the fair comparison's small version: CI then prints a comparison with its spread every time.
  // The probe-cost runs (six fresh browsers, 70–125 s at load 10) are in the full bench; with --quick only when asked for by --only.
  let specs = options.soakMinutes !== null ? [soakCase(options.soakMinutes)]
    : options.quick ? [...quickCases(), ...quickFairCompareCases(), ...(options.only.length > 0 ? quickProbeCostCases() : [])] : fullCases();
  specs = selectCases(specs, options.only);
  const busy = otherLoad();
  // Interleaved: every case once, then again (a slow spell of the machine hits one run of many cases, not every run of one).
  const repeated = (k: number) => specs.filter((s) => k === 1 || (!s.fairCompare && !s.probeCost)).map((spec) => ({ spec, run: k }));
  const schedule = Array.from({ length: options.runs }, (_, k) => repeated(k + 1)).flat();
  log(`mode ${mode}: ${schedule.length} browser case(s)${options.runs > 1 ? ` (${options.runs} runs)` : ''}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (busy.length > 0) log(`other busy processes at start (figures may be noisy):\n  ${busy.join('\n  ')}`);
  if (!osMemoryAvailable()) log('no /proc here: OS memory columns stay empty');

  await buildPage();
  const inputFiles = new Map<string, string>();
  const needed = new Set(specs.map((s) => s.input));
  if (mode !== 'soak') needed.add('720p-10s'); // the scaler comparison's frames
  for (const id of needed) {
    if (id === 'soak') {
      const soak = await ensureSoakInput(options.soakMinutes ?? 1, log);
      inputFiles.set('soak', soak.path.slice(INPUT_DIR.length + 1));
    } else {
      const path = await ensureInput(id, log);
      inputFiles.set(id, path.slice(INPUT_DIR.length + 1));
    }
  }

  // Node micro-benches first, while nothing else of ours runs.
  let handoff: PoolHandoffBenchResult | null = null;
  let scaler: ScalerComparison | null = null;
  // The handoff runs with every case, or alone with `--only handoff`.
  const wantHandoff = mode !== 'soak' && (options.only.length === 0 || options.only.some((o) => onlyMatches(o, 'pool-handoff')));
  const handoffOptions = options.quick ? { frames: 2000, copyFrames: 100, warmup: 100 } : {};
  if (wantHandoff) {
    handoff = await runPoolHandoffBench(handoffOptions);
    log(`pool handoff (Node): pooled p50 ${handoff.pooled.p50Us} µs, wake floor ${handoff.wakeFloor.p50Us} µs, alloc+copy ${handoff.allocTransfer.p50Us} µs`);
  }
  if (mode !== 'soak' && options.only.length === 0) {
    scaler = await runScalerComparison(join(INPUT_DIR, inputFiles.get('720p-10s')!), options.quick ? { frames: 30, repeats: 2 } : {});
    log(`scaler: TS ${scaler.tsMsPerFrame.toFixed(2)} ms/frame, swscale ${scaler.swscaleMsPerFrame.toFixed(2)} ms/frame`);
  }

  const server = await startBenchServer({
    '/inputs/': INPUT_DIR,
    '/ffmpeg-core/': join(ROOT, 'node_modules', '@ffmpeg', 'core', 'dist', 'esm'),
    '/': DIST_DIR,
  });
  log(`serving on ${server.origin}`);
  let chromiumHandoff: HandoffByVariant | null = null;
  if (wantHandoff) {
    chromiumHandoff = await runChromiumHandoff(() => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }), server.origin, handoffOptions);
    log(`pool handoff (Chromium): pooled p50 ${chromiumHandoff.pooled.p50Us} µs, wake floor ${chromiumHandoff['wake-floor'].p50Us} µs`);
  }
  const runs: CaseRun[] = [];
  const broken: string[] = [];
  const execFps = new Map<string, number>();
  const figures: CaseFigures[] = [];
  try {
    for (const { spec, run: k } of schedule) {
      let run: CaseRun;
      try {
        run = await runCase(spec, k, server.origin, inputFiles.get(spec.input)!);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        broken.push(`${spec.id}${options.runs > 1 ? ` (run ${k})` : ''}: ${message}`);
        log(`${spec.id}: BENCH ERROR ${message}`);
        continue;
      }
      runs.push(run);
      const r = run.result;
      if (spec.kind === 'baseline-exec' && r.ok) execFps.set(spec.input, r.fps);
      let fig: CaseFigures | null = null;
      if (spec.kind !== 'stage-alone') {
        const os = osFigures(run.os, run.rendererPid, r.startedAt, r.endedAt);
        if (spec.kind === 'baseline-api' && r.ok && r.source === null) {
          // The API run does not probe: frames are the input's (30 fps × duration).
          const input = INPUTS[spec.input as InputId];
          r.frames = input.fps * input.seconds;
          r.fps = (r.frames / r.activeMs) * 1000;
        }
        fig = caseFigures(spec, r, os, execFps.get(spec.input) ?? NaN);
        fig.run = k;
        if (options.runs > 1) fig.id = `${spec.id} (run ${k})`;
        fig.probe = r.ok ? probeFigures(run.probe, r.startedAt, r.endedAt, run.rendererPid) : null;
        figures.push(fig);
      }
      log(describeCase(run, fig));
    }
  } finally {
    await server.close();
  }

  const stageRows = runs.filter((r) => r.result.stageAlone).map((r) => ({ input: String(r.spec.input), s: r.result.stageAlone! as StageAlone }));
  const stage720 = stageRows.find((r) => r.input === '720p-10s')?.s ?? null;
  let soak: SoakFigures | null = null;
  if (options.soakMinutes !== null && runs[0]) soak = soakFigures(options.soakMinutes, runs[0].result, runs[0].os, runs[0].rendererPid);
  // The fair comparison's runs have their own section; the case tables and targets keep to the other cases.
  const caseFiguresOnly = figures.filter((f) => !f.spec.fairCompare && !f.spec.probeCost);
  const fairFigures = figures.filter((f) => f.spec.fairCompare);
  const fair = fairCompareResults(fairFigures);
  const probeCost = probeCostResults(figures);
  // Issue 6's targets and the four-way table from the first run; issue 13's over every run.
  const firstRun = caseFiguresOnly.filter((f) => f.run === 1);
  const targets = evaluateTargets(firstRun, stage720, handoff, soak, chromiumHandoff);
  const runsOfCases = Array.from({ length: options.runs }, (_, k) => caseFiguresOnly.filter((f) => f.run === k + 1));
  // Every measured pipeline run with the probe: the cases, the fair comparison's rounds and the probe-cost runs with it on.
  const probed = figures.filter((f) => f.spec.kind === 'pipeline' && !f.spec.fairCompare?.warmup);
  targets.splice(targets.findIndex((t) => t.target.startsWith('peak OS memory')) + 1, 0, ...accountingTargets(probed.map((f) => ({ id: f.id, mode: f.spec.mode, probe: f.probe }))));

  const browserVersion = runs[0]?.browserVersion ?? 'unknown';
  const heading = `FramePool Lab bench (${mode}) — ${new Date().toISOString()}, commit ${gitCommit()}, Chromium ${browserVersion}, ` +
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const sections = [
    `## ${heading}`,
    `### Cases: speed, allocations, switches\n\nrun: "warm, no probe" = a speed case (the fps targets, ×exec and the four-way table read these): one unmeasured warm-up run of the same work stopped after ${WARM_UP_FRAMES} frames in the same page, ` +
      'then the measured run in fresh workers, reusing the codec module V8 tiered up in the warm-up; no lab probe. ×exec only between cases run alike.\n\n' + speedTable(caseFiguresOnly),
    '### Cases: peak memory, in-app vs OS\n\n' + memoryTable(caseFiguresOnly),
    '### Every run: the renderer byte by byte (lab probe)\n\nThe lab\'s probe on every run but the speed cases (lab/probe.ts, README "Lab"): base = the last sample with a smaps split before the case started, ' +
      'peak = the run\'s split sample with the largest renderer PSS; measured = the kinds in the last column plus nothing else; unaccounted = renderer PSS − measured, as it is.\n\n' +
      markdownTable(PROBE_HEADER, probeRows(figures.filter((f) => f.spec.probe !== false))),
  ];
  const fourWay = fourWayTable(firstRun);
  if (fourWay) sections.push(fourWay);
  if (fair.length > 0) sections.push(fairCompareSection(fair, fairFigures));
  if (probeCost.length > 0) sections.push(probeCostSection(probeCost));
  if (stageRows.length > 0 || scaler) sections.push('### Stages alone\n\n' + stageAloneTable(stageRows, scaler));
  const speedRuns = speedRunsSection(runsOfCases, Array.from({ length: options.runs }, (_, k) => (runs.find((r) => r.run === k + 1 && r.spec.input === '720p-10s' && r.result.stageAlone)?.result.stageAlone as StageAlone | undefined) ?? null));
  if (speedRuns) sections.push(speedRuns);
  if (handoff || chromiumHandoff) {
    sections.push('### Pool handoff\n\nThe same code (bench/handoff/core.ts) in Node worker_threads and in two Chromium dedicated workers; cores = CPU time ÷ wall time over the measured frames ' +
      '(Node: its process; Chromium: all of its processes, the idle main thread included). Chromium coarsens its clock to 5 µs in a cross-origin isolated page.\n\n' +
      handoffHostsTable(handoff ? handoffByVariant(handoff) : null, chromiumHandoff, markdownTable));
  }
  if (soak) {
    sections.push(`### Soak\n\n${soak.minutes} min: ${soak.frames} frames, ${soak.switches} switches${soak.failure ? `, FAILED: ${soak.failure}` : ''}; ` +
      `renderer RSS mean by minute: ${soak.rssMeanByMinuteMb.map((v) => v.toFixed(0)).join(', ')} MB; latency p99 first minute ${soak.firstMinuteP99.toFixed(1)} ms, last ${soak.lastMinuteP99.toFixed(1)} ms`);
  }
  if (caseFiguresOnly.some((f) => f.switches > 0 || f.drops)) sections.push('### Switches: what a switch costs the viewer\n\n' + switchesTable(caseFiguresOnly));
  sections.push(`### Targets (issues 6 and 14)${options.runs > 1 ? ', run 1' : ''}\n\n` + targetsTable(targets));
  const switchTargets = switchCostTargets(runsOfCases, soak);
  sections.push(`### Targets (issue 13), median over ${options.runs} run(s)\n\n` + targetsTable(switchTargets));
  if (busy.length > 0) sections.push(`Other busy processes when the bench started (figures may be noisy): ${busy.length}.`);
  if (broken.length > 0) sections.push(`### Bench errors\n\n${broken.map((b) => `- ${b}`).join('\n')}`);
  const text = sections.join('\n\n');
  console.log(`\n${text}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(RESULTS_DIR, `bench-${mode}-${stamp}`);
  const report = {
    heading, mode, options, commit: gitCommit(), chromium: browserVersion, node: process.version,
    machine: { cores: cpus().length, model: cpus()[0]?.model, memoryBytes: totalmem(), loadAverageAtEnd: loadavg(), busyAtStart: busy },
    chromiumArgs: CHROMIUM_ARGS, totalSeconds: (performance.now() - t0) / 1000,
    handoff, chromiumHandoff, scaler, stageAlone: stageRows, targets, switchTargets, soak, fairCompare: fair, probeCost, broken,
    cases: runs.map((run) => ({
      spec: run.spec, wallMs: run.wallMs, rendererPid: run.rendererPid,
      run: run.run,
      figures: figures.find((f) => f.spec === run.spec && f.run === run.run) ?? null,
      result: run.result,
      probe: run.probe,
      // The page's renderer per sample, plus every Chromium process's RSS summed.
      os: run.os.map((s) => ({
        t: s.t,
        renderer: s.processes.find((p) => p.pid === run.rendererPid) ?? null,
        allRss: s.processes.reduce((sum, p) => sum + (Number.isFinite(p.rss) ? p.rss : 0), 0),
        byType: Object.fromEntries(s.processes.map((p) => [`${p.type}:${p.pid}`, p.rss])),
      })),
    })),
  };
  writeFileSync(`${base}.json`, JSON.stringify(report));
  writeFileSync(`${base}.md`, `${text}\n`);
  log(`report: ${base}.json (tables: ${base}.md); ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
  if (broken.length > 0) {
    console.error(`bench broke on ${broken.length} case(s)`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
