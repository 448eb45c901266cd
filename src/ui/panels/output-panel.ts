/** The output panel: every encoded segment of the session, each saveable, or all as a zip. */
import { download, fill, h } from '../dom.ts';
import { formatBytes, formatMs } from '../format.ts';
import type { SegmentView } from '../engine.ts';
import { zipStored } from '../zip.ts';

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
    this.downloadAll.addEventListener('click', () => this.saveAll());
  }

  /** Forgets the listed segments (their object URLs go too). */
  clear(): void {
    for (const s of this.segments) URL.revokeObjectURL(s.url);
    this.segments = [];
    fill(this.list);
    this.downloadAll.disabled = true;
  }

  add(s: SegmentView, runLabel: string): void {
    const url = URL.createObjectURL(new Blob([s.bytes as Uint8Array<ArrayBuffer>], { type: s.mimeType }));
    this.segments.push({ ...s, runLabel, url });
    const fileName = `${runLabel.replace(/\s+/g, '-')}-${s.fileName}`;
    this.list.append(h('tr', { 'data-width': s.width, 'data-height': s.height },
      h('td', {}, runLabel),
      h('td', {}, String(s.index)),
      h('td', { 'data-field': 'resolution' }, `${s.width}×${s.height}`),
      h('td', {}, String(s.frames)),
      h('td', {}, formatBytes(s.bytes.byteLength)),
      h('td', {}, s.index === 0 ? '—' : formatMs(s.reinitMs)),
      h('td', {}, h('a', { href: url, download: fileName, 'data-testid': 'segment-download', title: `download ${fileName}` }, 'save')),
    ));
    this.downloadAll.disabled = false;
  }

  private saveAll(): void {
    if (this.segments.length === 0) return;
    const zip = zipStored(this.segments.map((s) => ({ name: `${s.runLabel.replace(/\s+/g, '-')}/${s.fileName}`, bytes: s.bytes })));
    download(new Blob([zip], { type: 'application/zip' }), 'framepool-segments.zip');
  }
}
