/**
 * The results panel: the comparison table of the selected result set (the runs of this page,
 * a Compare, or a loaded report), the list of sets to choose from, what each was measured
 * on, and export (JSON, CSV, charts PNG) and loading of saved reports.
 */
import { download, fill, h } from '../dom.ts';
import { reportCsv, type RunReport } from '../compare/report.ts';
import { tableCsv, tableModel, type TableModel } from '../compare/table.ts';
import { parseReportFile, reportFileJson, ReportFileError, type CompareSetup, type Environment, type ReportFile } from '../compare/report-file.ts';
import { collectEnvironment, type NavigatorFacts } from '../compare/environment.ts';
import { WARMUP_DESCRIPTION, WARMUP_FRAMES } from '../compare/warmup.ts';
import { describeSchedule } from '../compare/schedule.ts';

/** A report's content before the file's kind and version are added. */
export type ReportContent = Omit<ReportFile, 'kind' | 'version'>;

interface ResultSet {
  title: string;
  /** 'page': measured here (environment filled in when saved); 'loaded': from a file, kept as it is. */
  source: 'page' | 'loaded';
  content: ReportContent;
}

/** Single runs shown side by side (the oldest drop off). */
const MAX_SINGLE_COLUMNS = 4;

export interface ResultsHost {
  showError(text: string): void;
  clearError(): void;
  chartsPng(): Promise<Blob>;
}

/** A fresh report content for runs measured in this page. */
export function pageContent(file: string | null, runs: RunReport[], compare: CompareSetup | null): ReportContent {
  return {
    date: new Date().toISOString(),
    file,
    environment: null,
    warmup: { description: WARMUP_DESCRIPTION, leadInFrames: WARMUP_FRAMES },
    compare,
    runs,
  };
}

export class ResultsPanel {
  readonly element: HTMLElement;
  private readonly host: ResultsHost;
  private sets: ResultSet[] = [];
  private selected = -1;
  /** A second set shown beside the selected one (-1: none). */
  private beside = -1;
  private singles: ResultSet | null = null;
  private readonly el = {
    sets: h('div', { class: 'result-sets', role: 'group', 'aria-label': 'results to show', 'data-testid': 'result-sets' }),
    meta: h('div', { class: 'report-meta muted', 'data-testid': 'report-meta' }),
    table: h('table', { class: 'report', 'data-testid': 'report' }),
    besideSelect: h('select', { 'data-testid': 'beside-select', 'aria-label': 'results to show beside' }),
    besideMeta: h('div', { class: 'report-meta muted' }),
    besideTable: h('table', { class: 'report', 'data-testid': 'report-beside' }),
    besideBox: h('div', { class: 'beside', hidden: true }),
    exportJson: h('button', { type: 'button', disabled: true, 'data-testid': 'export-json' }, 'Report JSON'),
    exportCsv: h('button', { type: 'button', disabled: true, 'data-testid': 'export-csv' }, 'Report CSV'),
    exportPng: h('button', { type: 'button', 'data-testid': 'export-png' }, 'Charts PNG'),
    loadInput: h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'load-report' }),
  };

  constructor(host: ResultsHost) {
    this.host = host;
    const e = this.el;
    this.element = h('section', { class: 'panel results' },
      h('h2', {}, 'Comparison'),
      h('div', { class: 'row' }, e.sets, h('label', { class: 'beside-choice' }, 'beside: ', e.besideSelect)),
      h('div', { class: 'side-by-side' },
        h('div', {}, e.meta, h('div', { class: 'table-wrap' }, e.table)),
        e.besideBox),
      h('div', { class: 'row buttons' }, e.exportJson, e.exportCsv, e.exportPng,
        h('label', { class: 'file-button', title: 'Show a report saved with "Report JSON" (this page or another machine)' }, 'Load report…', e.loadInput)),
    );
    e.exportJson.addEventListener('click', () => void this.exportJson());
    e.exportCsv.addEventListener('click', () => this.exportCsv());
    e.exportPng.addEventListener('click', () => void host.chartsPng().then((b) => download(b, 'framepool-charts.png'), (err: unknown) => host.showError(String(err))));
    fill(e.besideBox, e.besideMeta, h('div', { class: 'table-wrap' }, e.besideTable));
    e.besideSelect.addEventListener('change', () => { this.beside = Number(e.besideSelect.value); this.render(); });
    e.loadInput.addEventListener('change', () => {
      const file = e.loadInput.files?.[0];
      e.loadInput.value = '';
      if (file) void this.load(file);
    });
    this.render();
  }

  /** Adds a finished single run to the "runs in this page" set and shows that set. */
  addSingle(report: RunReport, file: string | null): void {
    if (!this.singles) {
      this.singles = { title: 'single runs', source: 'page', content: pageContent(file, [], null) };
      this.sets.push(this.singles);
    }
    const content = this.singles.content;
    content.runs = [...content.runs, report].slice(-MAX_SINGLE_COLUMNS);
    content.date = new Date().toISOString();
    content.file = file;
    this.selected = this.sets.indexOf(this.singles);
    this.render();
  }

  /** Adds a Compare's results as a set of its own and shows it. */
  addComparison(title: string, content: ReportContent): void {
    this.sets.push({ title, source: 'page', content });
    this.selected = this.sets.length - 1;
    this.render();
  }

  /** Reads a saved report; a file that is not one gets a sentence in the error area and changes nothing else. */
  async load(file: File): Promise<void> {
    let parsed: ReportFile;
    try {
      parsed = parseReportFile(await file.text(), file.name);
    } catch (err) {
      this.host.showError(err instanceof ReportFileError ? err.message : `${file.name} could not be read: ${String(err)}`);
      return;
    }
    this.host.clearError();
    const { kind: _kind, version: _version, ...content } = parsed;
    this.sets.push({ title: `loaded: ${file.name}`, source: 'loaded', content });
    this.selected = this.sets.length - 1;
    this.render();
  }

  /** Every run of this page's sets, oldest set first (for tests). */
  pageRuns(): RunReport[] {
    return this.sets.filter((s) => s.source === 'page').flatMap((s) => s.content.runs);
  }

  /** The model of the table shown now (null when nothing is shown). */
  shownModel(): TableModel | null {
    const set = this.sets[this.selected];
    return set ? tableModel(set.content.runs) : null;
  }

  private async exportJson(): Promise<void> {
    const set = this.sets[this.selected];
    if (!set) return;
    if (set.source === 'page' && !set.content.environment) {
      set.content.environment = await collectEnvironment(navigator as unknown as NavigatorFacts, crossOriginIsolated);
    }
    download(new Blob([reportFileJson(set.content)], { type: 'application/json' }), 'framepool-report.json');
  }

  private exportCsv(): void {
    const set = this.sets[this.selected];
    if (!set) return;
    const model = tableModel(set.content.runs);
    const csv = model.compared ? tableCsv(model) : reportCsv(set.content.runs);
    download(new Blob([csv], { type: 'text/csv' }), 'framepool-report.csv');
  }

  render(): void {
    const e = this.el;
    const set = this.sets[this.selected];
    fill(e.sets, ...(this.sets.length > 1 ? this.sets.map((s, i) => {
      const b = h('button', { type: 'button', 'data-testid': 'result-set', 'aria-pressed': String(i === this.selected), 'data-source': s.source }, s.title);
      b.addEventListener('click', () => { this.selected = i; this.render(); });
      return b;
    }) : []));
    e.exportJson.disabled = !set;
    e.exportCsv.disabled = !set;
    if (this.beside === this.selected) this.beside = -1;
    fill(e.besideSelect, h('option', { value: '-1' }, 'nothing'),
      ...this.sets.map((s, i) => (i === this.selected ? null : h('option', { value: String(i), selected: i === this.beside }, s.title))));
    e.besideSelect.closest('label')!.hidden = this.sets.length < 2;
    const other = this.sets[this.beside];
    e.besideBox.hidden = !other;
    if (other) {
      fill(e.besideMeta, ...describe(other));
      renderTable(e.besideTable, tableModel(other.content.runs));
    }
    if (!set) {
      fill(e.meta);
      fill(e.table, h('tbody', {}, h('tr', {}, h('td', { class: 'muted' }, 'Finished runs appear here. Compare runs pooled and unpooled in alternated rounds.'))));
      return;
    }
    fill(e.meta, ...describe(set));
    renderTable(e.table, tableModel(set.content.runs));
  }
}

/** What a result set is and what it was measured on, one line each. */
function describe(set: ResultSet): HTMLElement[] {
  const c = set.content;
  const lines: string[] = [];
  const when = c.date ? c.date.replace('T', ' ').slice(0, 16) + ' UTC' : 'date unknown';
  lines.push(`${set.source === 'loaded' ? `${set.title.replace(/^loaded: /, 'Loaded from ')}: ` : ''}${c.file ?? 'unknown file'}, measured ${when}`);
  if (c.compare) {
    const k = c.compare;
    const added = k.addedRounds > 0 ? ` (${k.addedRounds} added until the rows settled)` : '';
    lines.push(`${k.rounds} round${k.rounds === 1 ? '' : 's'} per mode${added}, order ${k.order.join(', ')}${k.coldRun ? ', after a cold run (not counted)' : ''}; ${k.settings.codec}, ${k.settings.pacing} pacing, start ${k.settings.startRung}; switches: ${k.scheduleNote || describeSchedule(k.schedule)}`);
  }
  if (c.warmup) lines.push(`Warm-up: ${c.warmup.description}.`);
  if (c.environment) lines.push(`On ${environmentText(c.environment)}.`);
  return lines.map((text) => h('p', {}, text));
}

export function environmentText(env: Environment): string {
  return [
    env.browser,
    env.platform,
    env.cores !== null ? `${env.cores} cores` : null,
    env.deviceMemoryGiB !== null ? `${env.deviceMemoryGiB} GiB device memory` : null,
    env.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated',
    `app ${env.commit}`,
    // Both modes scale with the same kernel, so a speed difference between them is not the scaler's.
    env.scaler ? `scaler ${env.scaler === 'wasm-simd' ? 'WASM SIMD' : 'TypeScript'} in every run, both modes` : null,
  ].filter(Boolean).join(' · ');
}

/** Renders a table model: a row per metric with what it spans; verdict cells carry data-verdict / data-best. */
export function renderTable(table: HTMLTableElement, model: TableModel): void {
  const head = h('thead', {}, h('tr', {},
    h('th', {}, 'metric'),
    ...model.columns.map((c) => h('th', { 'data-mode': c.mode, 'data-column': c.kind }, c.title, h('br'), h('small', {}, c.note))),
    model.compared ? h('th', { 'data-column': 'verdict' }, 'verdict') : null,
  ));
  const body = h('tbody');
  for (const row of model.rows) {
    body.append(h('tr', { 'data-key': row.key },
      h('th', { title: row.spans }, row.label, row.unit ? h('span', { class: 'unit' }, ` (${row.unit})`) : null, h('br'), h('small', { class: 'spans' }, row.spans)),
      ...row.cells.map((cell) => h('td', { class: cell.best ? 'best' : undefined, 'data-value': Number.isFinite(cell.value) ? String(cell.value) : '' }, cell.text)),
      row.verdict ? h('td', { class: 'verdict', 'data-verdict': row.verdict.kind, 'data-best': row.verdict.best ?? undefined }, row.verdict.text) : null,
    ));
  }
  fill(table, head, body);
}
