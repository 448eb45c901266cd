/** The output panel: every encoded segment of the session, each saveable, or all as a zip. */
import { download, fill, h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { SegmentView } from '../engine.ts';
import { downloadZip } from 'client-zip';

/** Above this, Download all streams to disk (where the browser can) instead of building a Blob. */
const STREAM_TO_DISK_BYTES = 256 * 1024 * 1024;

interface ListedSegment extends SegmentView { runLabel: string; url: string }

export class OutputPanel {
  readonly element: HTMLElement;
  private segments: ListedSegment[] = [];
  private readonly list = h('tbody', { 'data-testid': 'segments' });
  private readonly downloadAll = h('button', { type: 'button', 'data-testid': 'download-all', disabled: true }, 'Download all (.zip)');

  constructor() {
    this.element = h('section', { class: 'panel output' },
      h('h2', {}, 'Output segments'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'segments' },
        h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, '#'), h('th', {}, 'resolution'), h('th', {}, 'frames'), h('th', {}, 'size'), h('th', {}, 're-init'), h('th', {}, ''))),
        this.list)),
      h('div', { class: 'row buttons' }, this.downloadAll),
    );
    this.downloadAll.addEventListener('click', () => void this.saveAll());
  }

  /** Forgets the listed segments (their object URLs go too). */
  clear(): void {
    for (const s of this.segments) URL.revokeObjectURL(s.url);
    this.segments = [];
    fill(this.list);
    this.downloadAll.disabled = true;
  }

  add(s: SegmentView, runLabel: string): void {
    const url = URL.createObjectURL(s.data);
    this.segments.push({ ...s, runLabel, url });
    const fileName = `${runLabel.replace(/\s+/g, '-')}-${s.fileName}`;
    this.list.append(h('tr', { 'data-width': s.width, 'data-height': s.height },
      h('td', {}, runLabel),
      h('td', {}, String(s.index)),
      h('td', { 'data-field': 'resolution' }, `${s.width}×${s.height}`),
      h('td', {}, String(s.frames)),
      h('td', {}, formatBytes(s.byteLength)),
      h('td', {}, s.index === 0 ? '—' : formatMs(s.reinitMs)),
      h('td', {}, h('a', { href: url, download: fileName, 'data-testid': 'segment-download', title: `download ${fileName}` }, 'save')),
    ));
    this.downloadAll.disabled = false;
  }

  /**
   * Zips every segment with client-zip (a maintained streaming zip writer: stored entries,
   * CRCs computed as the bytes stream through). A large zip streams straight to a file the
   * user picks, where the browser offers a save picker; otherwise it becomes one Blob and is saved.
   */
  private async saveAll(): Promise<void> {
    if (this.segments.length === 0) return;
    const files = this.segments.map((s) => ({ name: `${s.runLabel.replace(/\s+/g, '-')}/${s.fileName}`, input: s.data }));
    const zip = downloadZip(files);
    const total = this.segments.reduce((sum, s) => sum + s.byteLength, 0);
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
