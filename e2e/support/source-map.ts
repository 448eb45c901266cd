/**
 * Maps a position in a built chunk back to its source file with the chunk's source map
 * (version 3, `mappings` in base64 VLQ). Enough to attribute a heap profile's call frames
 * to `src/…` files and packages; no names, no sections.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/** One mapped segment: generated column → source index, line, column. */
type Segment = [genColumn: number, source: number, line: number, column: number];

class ChunkMap {
  readonly sources: string[];
  private readonly lines: Segment[][] = [];

  constructor(raw: { sources: string[]; mappings: string; sourceRoot?: string }, mapDir: string) {
    // Paths relative to the map file, made relative to the project root by the caller.
    this.sources = raw.sources.map((s) => normalize(join(mapDir, raw.sourceRoot ?? '', s)));
    let source = 0;
    let line = 0;
    let column = 0;
    for (const text of raw.mappings.split(';')) {
      const segments: Segment[] = [];
      let genColumn = 0;
      for (const part of text.split(',')) {
        if (part === '') continue;
        const v = decodeVlq(part);
        genColumn += v[0]!;
        if (v.length >= 4) {
          source += v[1]!;
          line += v[2]!;
          column += v[3]!;
          segments.push([genColumn, source, line, column]);
        }
      }
      this.lines.push(segments);
    }
  }

  /** Source file and 1-based line of the generated position (0-based line and column), or null. */
  sourceAt(line: number, column: number): { file: string; line: number } | null {
    const segments = this.lines[line];
    if (!segments || segments.length === 0) return null;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]![0] <= column) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo]!;
    const file = this.sources[seg[1]];
    return file === undefined ? null : { file, line: seg[2] + 1 };
  }
}

function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const digit = B64_VALUE.get(c);
    if (digit === undefined) throw new Error(`bad VLQ digit ${c}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Resolves `http://host/assets/x.js` positions with `distDir/assets/x.js.map`. */
export class SourceMaps {
  private readonly maps = new Map<string, ChunkMap | null>();

  constructor(private readonly distDir: string, private readonly projectRoot: string) {}

  /** Project-relative source path (e.g. `src/pool/link.ts`, `node_modules/comlink/…`) and line, or null. */
  resolve(url: string, line: number, column: number): { file: string; line: number } | null {
    const map = this.mapFor(url);
    const source = map?.sourceAt(line, column) ?? null;
    if (source === null) return null;
    return { file: this.relative(source.file), line: source.line };
  }

  /** The path from the project root (`src/…`, `node_modules/…`, `workers/…`). */
  private relative(file: string): string {
    const root = normalize(this.projectRoot + '/');
    if (file.startsWith(root)) return file.slice(root.length);
    // A build outside the project writes paths relative to where the root would be.
    const m = /(?:^|\/)((?:src|node_modules|workers)\/.*)$/.exec(file);
    return m ? m[1]! : file;
  }

  private mapFor(url: string): ChunkMap | null {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return null;
    }
    if (this.maps.has(path)) return this.maps.get(path)!;
    const file = join(this.distDir, path + '.map');
    let map: ChunkMap | null = null;
    if (existsSync(file)) {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; mappings: string; sourceRoot?: string };
      map = new ChunkMap(raw, join(file, '..'));
    }
    this.maps.set(path, map);
    return map;
  }
}
