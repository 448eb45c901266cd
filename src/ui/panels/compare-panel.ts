/**
 * Compare: the same file and the same switch schedule in both allocation modes, as a
 * measurement (DESIGN.md, "Comparing fairly"): a cold run first when the page has not run
 * yet (shown, not counted), then `rounds` runs per mode in alternated order, every run
 * replaying one schedule fixed before the first; the table shows each metric's median and
 * range per mode and a verdict.
 */
import { h } from '../dom.ts';
import { formatMs } from '../format.ts';
import { buildReport, type RunReport, type RunRole } from '../compare/report.ts';
import { comparePlan, compareSchedule, compareVariants, roundSteps, settleCap, unsettledRows, type PlanStep } from '../compare/schedule.ts';
import { tableModel } from '../compare/table.ts';
import { clampRounds, ROUNDS, WARMUP_DESCRIPTION } from '../compare/warmup.ts';
import type { CompareSetup } from '../compare/report-file.ts';
import type { RunTelemetry } from '../telemetry.ts';
import { pageContent, type ResultsPanel } from './results-panel.ts';
import type { Dashboard } from './shared.ts';

/** What the last Compare ran, for end-to-end checks. */
export interface CompareDebug {
  setup: CompareSetup;
  runs: { label: string; mode: string; role: RunRole; round: number; phase: string; switches: number; frames: number }[];
}

export class ComparePanel {
  // Not 'pooled vs unpooled': the select beside it may add the codec backends.
  readonly button = h('button', { type: 'button', 'data-testid': 'compare' }, 'Compare');
  readonly across = h('select', { 'data-testid': 'compare-across', 'aria-label': 'what Compare measures' },
    h('option', { value: 'modes' }, 'pooled vs unpooled'),
    h('option', { value: 'backends' }, 'both modes × both codec backends'));
  readonly rounds = h('input', { type: 'number', min: ROUNDS.min, max: ROUNDS.max, value: ROUNDS.default, 'data-testid': 'rounds', 'aria-label': 'rounds per mode' });
  /** Add rounds (up to twice the chosen) while a row leans one way but is not settled. */
  readonly settle = h('input', { type: 'checkbox', checked: true, 'data-testid': 'settle' });
  readonly element: HTMLElement;
  private readonly dash: Dashboard;
  private readonly results: ResultsPanel;
  private counter = 0;
  private last: CompareDebug | null = null;
  /** Which schedule the running (or last) Compare replays. */
  private readonly scheduleLine = h('p', { class: 'muted compare-note', 'data-testid': 'compare-schedule', hidden: true });

  constructor(dash: Dashboard, results: ResultsPanel) {
    this.dash = dash;
    this.results = results;
    this.element = h('div', { class: 'compare-controls' },
      h('div', { class: 'row' }, this.button, h('label', { class: 'across' }, 'what ', this.across), h('label', { class: 'rounds' }, 'rounds per mode ', this.rounds),
        h('label', { class: 'settle', title: 'While a row leans one way (its ranks would be this far apart by chance between 1 in 100 and 1 in 4), Compare adds a round per mode: up to twice the chosen number (at most 10).' }, this.settle, ' more rounds until settled')),
      h('p', { class: 'muted compare-note', 'data-testid': 'warmup-note' },
        `Compare alternates the modes (pooled, unpooled, unpooled, pooled, …) and replays one switch schedule in every run. Warm-up: ${WARMUP_DESCRIPTION}.`),
      this.scheduleLine,
    );
    this.button.addEventListener('click', () => void this.start());
  }

  /** Locks or frees the inputs with the rest of the controls. */
  setDisabled(disabled: boolean): void {
    this.button.disabled = disabled;
    this.rounds.disabled = disabled;
    this.settle.disabled = disabled;
    this.across.disabled = disabled;
  }

  debug(): CompareDebug | null {
    return this.last;
  }

  async start(): Promise<void> {
    const dash = this.dash;
    const file = dash.file;
    if (!file) return;
    const rounds = clampRounds(this.rounds.value);
    this.rounds.value = String(rounds);
    const base = dash.settings();
    const recording = dash.lastRecording?.file === file ? dash.lastRecording : null;
    const fixed = compareSchedule(base.schedule, base.startRung, recording);
    const coldRun = dash.completedRuns === 0;
    const variants = compareVariants(base.backend, this.across.value === 'backends');
    const plan = comparePlan(rounds, coldRun, variants);
    const n = ++this.counter;
    const setup: CompareSetup = {
      rounds,
      addedRounds: 0,
      order: plan.filter((s) => s.role === 'measured').map((s) => s.variant.label),
      coldRun,
      schedule: fixed.schedule,
      scheduleNote: fixed.note,
      settings: { codec: base.codec, pacing: base.pacing, startRung: fixed.startRung, backends: [...new Set(variants.map((v) => v.backend))].join(', ') },
    };
    const debug: CompareDebug = { setup, runs: [] };
    this.last = debug;

    dash.beginSession('compare');
    dash.setStatus(`Compare ${n}: ${plan.length} runs; switches: ${fixed.note}.`);
    this.scheduleLine.textContent = `Compare ${n} replays in every run: switches ${fixed.note}.`;
    this.scheduleLine.hidden = false;
    const began = performance.now();
    const cap = this.settle.checked ? settleCap(rounds) : rounds;
    const done: { tel: RunTelemetry; step: PlanStep }[] = [];
    const reports: RunReport[] = [];
    let roundsRun = rounds;
    let settling: string[] = [];
    let failedLabel: string | null = null;
    for (let i = 0; i < plan.length; i++) {
      if (dash.stopRequested) break;
      const step = plan[i]!;
      const { variant } = step;
      const settings = { ...base, backend: variant.backend, mode: variant.mode, schedule: fixed.schedule, startRung: fixed.startRung };
      const label = step.role === 'cold' ? `compare ${n} cold ${variant.label}` : `compare ${n} round ${step.round} ${variant.label}`;
      const status = step.role === 'cold'
        ? `Compare ${n}, cold run (not counted): ${variant.label} (run 1 of ${plan.length})`
        : step.round <= rounds
          ? `Compare ${n}, round ${step.round} of ${rounds}: ${variant.label} (run ${i + 1} of ${plan.length})`
          : `Compare ${n}, round ${step.round} (added, up to ${cap}: not settled yet: ${settling.join(', ')}): ${variant.label} (run ${i + 1} of ${plan.length})`;
      const overlay = done.length > 0 ? [done[done.length - 1]!.tel] : [];
      const tel = await dash.execute(settings, label, overlay, status);
      if (!tel || dash.stopRequested) break; // a run cut short by Stop is not a measurement
      done.push({ tel, step });
      reports.push(toReport(tel, step, file.name));
      debug.runs.push({ label, mode: variant.label, role: step.role, round: step.round, phase: tel.run.phase, switches: tel.run.switches().length, frames: tel.framesDone() });
      if (tel.run.phase === 'failed') {
        failedLabel = label;
        break;
      }
      // The last planned run done: rows that lean one way but are not settled get another round.
      if (i === plan.length - 1 && roundsRun < cap) {
        settling = unsettledRows(tableModel(reports));
        if (settling.length > 0) {
          roundsRun++;
          plan.push(...roundSteps(variants, roundsRun));
          setup.rounds = roundsRun;
          setup.addedRounds = roundsRun - rounds;
          setup.order = plan.filter((s) => s.role === 'measured').map((s) => s.variant.label);
        }
      }
    }

    if (reports.length > 0) this.results.addComparison(`Compare ${n}`, pageContent(file.name, reports, setup));
    const stopped = done.length < plan.length;
    dash.endSession();
    const elapsed = formatMs(performance.now() - began);
    if (failedLabel) dash.setStatus(`Compare ${n} failed: ${failedLabel} did not finish (see the problem above); ${done.length - 1} of ${plan.length} runs finished.`);
    else if (stopped) dash.setStatus(`Compare ${n} stopped after ${done.length} of ${plan.length} runs; the table shows the finished ones (the stopped run is left out).`);
    else {
      const still = roundsRun > rounds ? unsettledRows(tableModel(reports)) : [];
      const added = roundsRun > rounds ? ` (${roundsRun - rounds} added to settle ${settling.length === 1 ? 'a row' : 'rows'}${still.length > 0 ? `; not settled at ${roundsRun}: ${still.join(', ')}` : ''})` : '';
      dash.setStatus(`Compare ${n} done: ${roundsRun} round${roundsRun === 1 ? '' : 's'} per mode${added}${coldRun ? ' after a cold run (not counted)' : ''} in ${elapsed}, switches ${fixed.note}; the table shows each metric's median and range.`);
    }
  }
}

/** A finished run as the table's report: its column is the variant, its role and round as planned. */
function toReport(tel: RunTelemetry, step: PlanStep, fileName: string): RunReport {
  const report = buildReport({ ...tel.record(), fileName });
  report.mode = step.variant.label; // the table's columns are the variants
  report.detail = tel.detail();
  report.role = step.role;
  if (step.role === 'measured') report.round = step.round;
  return report;
}
