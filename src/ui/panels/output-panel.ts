/**
 * The output panel: every encoded segment of the session, each saveable, or all as a zip. With
 * more than one run listed (a Compare: 3–21 runs of up to dozens of segments each) each run
 * folds to one summary line and only the newest run's segments show; a line unfolds its run.
 */
import { download, fill, h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { SegmentView } from '../engine.ts';
import { downloadZip } from 'client-zip';
import { keepOutput, opfsAvailable, removeStaleOutput, type KeepOutput } from '../output-store.ts';
import { summarizeRun } from './run-summary.ts';

/** Above this, Download all streams to disk (where the browser can) instead of building a Blob. */
const STREAM_TO_DISK_BYTES = 256 * 1024 * 1024;

interface ListedSegment extends SegmentView { runLabel: string; url: string }

/** A run in the list: its segment rows and, once a second run is listed, its summary line. */
interface ListedRun { label: string; segments: ListedSegment[]; rows: HTMLTableRowElement[]; summary: HTMLTableRowElement | null; open: boolean }

export class OutputPanel {
  readonly element: HTMLElement;
  private runs: ListedRun[] = [];
  private readonly list = h('tbody', { 'data-testid': 'segments' });
  private readonly downloadAll = h('button', { type: 'button', 'data-testid': 'download-all', disabled: true }, 'Download all (.zip)');
  // Disk by default where OPFS exists: a long run's output then grows a file, not the page's memory.
  private readonly keep = h('select', { 'data-testid': 'keep-output', 'aria-label': 'where the output is kept',
    title: "Where a run's encoded segments go as they are written. On disk: the origin-private file system (OPFS), read back for play and download; removed when the list is cleared (a new run) or, if the page closed first, when it next loads. In memory: Blobs in the browser's memory. Read when a run starts." },
  h('option', { value: 'disk', disabled: !opfsAvailable() }, opfsAvailable() ? 'on disk (OPFS)' : 'on disk (OPFS: not in this browser)'),
  h('option', { value: 'memory' }, 'in memory'));

  constructor() {
    this.element = h('section', { class: 'panel output' },
      h('h2', {}, 'Output segments'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'segments' },
        h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, '#'), h('th', {}, 'resolution'), h('th', {}, 'frames'), h('th', {}, 'size'), h('th', {}, 'kept'), h('th', {}, 're-init'), h('th', {}, ''))),
        this.list)),
      h('div', { class: 'row buttons' }, h('label', {}, 'Keep output', this.keep), this.downloadAll),
    );
    this.downloadAll.addEventListener('click', () => void this.saveAll());
    this.keep.value = keepOutput.value;
    this.keep.addEventListener('change', () => { keepOutput.value = this.keep.value as KeepOutput; });
    // Output a closed page left on disk (no live page holds its lock) goes now.
    void removeStaleOutput().catch(() => {});
  }

  /** Forgets the listed segments: their object URLs go, and their runs' files on disk. */
  clear(): void {
    const segments = this.segments();
    for (const s of segments) URL.revokeObjectURL(s.url);
    for (const discard of new Set(segments.map((s) => s.discardRun))) void discard?.().catch(() => {});
    this.runs = [];
    fill(this.list);
    this.downloadAll.disabled = true;
  }

  add(s: SegmentView, runLabel: string): void {
    const url = URL.createObjectURL(s.data);
    const listed = { ...s, runLabel, url };
    let run = this.runs.at(-1);
    if (run?.label !== runLabel) {
      // A new run: the earlier ones fold, so the list stays one line per run plus the newest run's segments.
      for (const earlier of this.runs) this.setOpen(earlier, false);
      run = { label: runLabel, segments: [], rows: [], summary: null, open: true };
      this.runs.push(run);
      if (this.runs.length > 1) for (const r of this.runs) this.ensureSummary(r);
    }
    const fileName = `${runLabel.replace(/\s+/g, '-')}-${s.fileName}`;
    const row = h('tr', { 'data-width': s.width, 'data-height': s.height },
      h('td', {}, runLabel),
      h('td', {}, String(s.index)),
      h('td', { 'data-field': 'resolution' }, `${s.width}×${s.height}`),
      h('td', {}, String(s.frames)),
      h('td', {}, formatBytes(s.byteLength)),
      h('td', { 'data-field': 'storage', title: s.storage === 'disk' ? 'a file in the origin-private file system, read back for play and download' : "a Blob in the browser's memory" }, s.storage === 'disk' ? 'disk' : 'memory'),
      h('td', {}, s.index === 0 ? '—' : formatMs(s.reinitMs)),
      h('td', {}, h('a', { href: url, download: fileName, 'data-testid': 'segment-download', title: `download ${fileName}` }, 'save')),
    );
    // In segment order: with a new encoder per switch, a large segment can finish flushing after a smaller, later one.
    let at = run.segments.length;
    while (at > 0 && run.segments[at - 1]!.index > s.index) at--;
    if (at < run.rows.length) run.rows[at]!.before(row);
    else this.list.append(row);
    run.segments.splice(at, 0, listed);
    run.rows.splice(at, 0, row);
    row.hidden = !run.open;
    if (run.summary) this.fillSummary(run);
    this.downloadAll.disabled = false;
  }

  private segments(): ListedSegment[] {
    return this.runs.flatMap((r) => r.segments);
  }

  /** Gives a run its summary line, just above its first segment row. */
  private ensureSummary(run: ListedRun): void {
    if (run.summary) return;
    const toggle = h('button', { type: 'button', 'data-testid': 'run-toggle' });
    toggle.addEventListener('click', () => this.setOpen(run, !run.open));
    run.summary = h('tr', { class: 'run-summary', 'data-testid': 'run-summary' });
    // The whole line toggles too: on a narrow screen the button sits past the table's scroll.
    run.summary.addEventListener('click', (e) => { if (e.target !== toggle) this.setOpen(run, !run.open); });
    run.summary.append(...Array.from({ length: 7 }, () => h('td', {})), h('td', {}, toggle));
    if (run.rows[0]) run.rows[0].before(run.summary);
    else this.list.append(run.summary);
    this.fillSummary(run);
  }

  private fillSummary(run: ListedRun): void {
    const sum = summarizeRun(run.segments);
    const cells = run.summary!.cells;
    [run.label, sum.segments, sum.sizes, sum.frames, sum.bytes, sum.kept, sum.reinit].forEach((text, i) => { cells[i]!.textContent = text; });
    this.setOpen(run, run.open);
  }

  private setOpen(run: ListedRun, open: boolean): void {
    run.open = open;
    for (const row of run.rows) row.hidden = !open;
    const toggle = run.summary?.querySelector('button');
    if (toggle) {
      toggle.textContent = open ? 'hide' : 'show';
      toggle.setAttribute('aria-expanded', String(open));
      toggle.title = `${open ? 'hide' : 'show'} the segments of ${run.label}`;
    }
  }

  /**
   * Zips every segment with client-zip (a maintained streaming zip writer: stored entries,
   * CRCs computed as the bytes stream through). A large zip streams straight to a file the
   * user picks, where the browser offers a save picker; otherwise it becomes one Blob and is saved.
   */
  private async saveAll(): Promise<void> {
    const segments = this.segments();
    if (segments.length === 0) return;
    const files = segments.map((s) => ({ name: `${s.runLabel.replace(/\s+/g, '-')}/${s.fileName}`, input: s.data }));
    const zip = downloadZip(files);
    const total = segments.reduce((sum, s) => sum + s.byteLength, 0);
    const picker = (window as Window & { showSaveFilePicker?: (o: object) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
    if (total > STREAM_TO_DISK_BYTES && picker && zip.body) {
      try {
        const handle = await picker({ suggestedName: 'framepool-segments.zip', types: [{ description: 'Zip archive', accept: { 'application/zip': ['.zip'] } }] });
        await zip.body.pipeTo(await handle.createWritable());
        return;
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') return; // the user cancelled
        // Otherwise fall back to a download below (the zip's body may be used: build it again).
        download(await downloadZip(files).blob(), 'framepool-segments.zip');
        return;
      }
    }
    download(await zip.blob(), 'framepool-segments.zip');
  }
}
