/**
 * The renderer's smaps split (lab/smaps.ts) and the accounting on top of it (lab/accounting.ts).
 * The layout is the one read from a Chromium 156 renderer during a pooled run (addresses and
 * sizes kept, other mappings dropped).
 */
import { expect, test } from 'vitest';
import { account } from '../../lab/accounting.ts';
import type { LabHeap, LabInApp, LabOs } from '../../lab/protocol.ts';
import { parseSmaps, splitMappings, type RendererSplit } from '../../lab/smaps.ts';

const MIB = 1024 * 1024;
const KB = 1024;

/** One smaps entry: start address, length in bytes, permissions, path, PSS in bytes. */
function entry(start: bigint, length: number, perm: string, path: string, pss: number): string {
  const end = start + BigInt(length);
  return [
    `${start.toString(16)}-${end.toString(16)} ${perm} 00000000 00:00 0 ${path}`.trimEnd(),
    `Size: ${length / KB} kB`, `Rss: ${Math.round(pss / KB)} kB`, `Pss: ${Math.round(pss / KB)} kB`, 'Pss_Dirty: 0 kB', 'Anonymous: 0 kB',
  ].join('\n');
}

const GIB = 1024 * MIB;
const sandbox = 0x3f5a00000000n;
const at = (base: bigint, offset: number) => base + BigInt(offset);
const SMAPS = [
  entry(0x562935e86000n, 225 * MIB, 'r-xp', '/usr/lib/chromium/chromium', 40 * MIB),
  entry(0x7f3c00000000n, 4 * MIB, 'r--p', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 1 * MIB),
  entry(0x7f3d00000000n, 2 * MIB, 'rw-s', '/memfd:shared-memory-region (deleted)', 3 * MIB / 2),
  entry(0x8a4d0034000n, 2 * MIB, 'rwxp', '', 5 * MIB),
  // Oilpan's cage: a 32 MiB guard before, 16 GiB after: not a WASM memory.
  entry(0x9f400000000n, 32 * MIB, '---p', '', 0),
  entry(0x9f402000000n, 22 * MIB, 'rw-p', '', 20 * MIB),
  entry(0x9f403600000n, 16 * GIB, '---p', '', 0),
  // A PartitionAlloc super page (writable from 16 KiB past a 2 MiB boundary), and a V8 heap page that is not one.
  entry(0x29b400004000n, 2 * MIB - 16 * KB, 'rw-p', '', 1.5 * MIB),
  entry(0x29b600004000n, 8 * MIB - 16 * KB, 'rw-p', '', 4.5 * MIB),
  entry(0x26f901000000n, 256 * KB, 'rw-p', '', 0.25 * MIB),
  // Two WebAssembly memories, each between reservations of ≥ 4 GiB: a codec's 32 MiB and the pool's 45.4375 MiB.
  entry(sandbox, 8 * GIB, '---p', '', 0),
  entry(at(sandbox, 8 * GIB), 32 * MIB, 'rw-p', '', 19 * MIB),
  entry(at(sandbox, 8 * GIB + 32 * MIB), 8 * GIB - 32 * MIB, '---p', '', 0),
  entry(at(sandbox, 16 * GIB), 47644672, 'rw-p', '', 12 * MIB),
  entry(at(sandbox, 16 * GIB + 47644672), 8 * GIB, '---p', '', 0),
].join('\n');

test('smaps split: files, shared memory, JIT code, PartitionAlloc by its super-page layout, and WASM memories by their reservation (between two ≥ 4 GiB reservations, or with a tail completing 8 GiB)', () => {
  const split = splitMappings(parseSmaps(SMAPS));
  expect(split.files).toBe(41 * MIB);
  expect(split.shared).toBe(1.5 * MIB);
  expect(split.code).toBe(5 * MIB);
  expect(split.wasm).toEqual([{ size: 32 * MIB, pss: 19 * MIB }, { size: 47644672, pss: 12 * MIB }]);
  expect(split.partitionAlloc).toBe(6 * MIB);
  // Oilpan's cage and the V8 page stay private memory the isolates' figures must explain.
  expect(split.otherPrivate).toBe(20.25 * MIB);
  expect(split.total).toBe(41 * MIB + 1.5 * MIB + 5 * MIB + 31 * MIB + 6 * MIB + 20.25 * MIB);
});

test('regression (CI, stop 18): a WASM memory placed right after a small mapping is still found, by its tail completing one 8 GiB reservation', () => {
  const maps = parseSmaps([
    entry(at(sandbox, 32 * GIB - 64 * MIB), 64 * MIB, 'rw-p', '', 0),
    entry(at(sandbox, 32 * GIB), 128 * MIB, 'rw-p', '', 128 * MIB),
    entry(at(sandbox, 32 * GIB + 128 * MIB), 8 * GIB - 128 * MIB, '---p', '', 0),
  ].join('\n'));
  expect(splitMappings(maps).wasm).toEqual([{ size: 128 * MIB, pss: 128 * MIB }]);
});

const heap = (mib: number): LabHeap => ({ used: mib * MIB / 2, total: mib * MIB, backing: 2 * MIB, blink: 1 * MIB, ms: 3 });
const os: LabOs = { processes: [{ pid: 7, type: 'renderer', rss: 300 * MIB, pss: 250 * MIB, workers: true }], rss: 300 * MIB, pss: 250 * MIB };
const inApp: LabInApp = { poolCommitted: 47644672, wasmDecode: 32 * MIB, wasmScale: null, wasmEncode: 32 * MIB, framesDone: 10, phase: 'running' };

test('with a split, the pool and codec WASM count resident pages (the arena found by its committed size), PartitionAlloc counts without the backing stores it holds, and unaccounted is the split total minus every kind', () => {
  const split: RendererSplit = { ...splitMappings(parseSmaps(SMAPS)), pid: 7, at: 1, readMs: 1 };
  const a = account(heap(4), [{ ...heap(8), id: 'w', url: 'decode.worker.js', role: 'decode' }], os, inApp, split);
  expect(a.pool).toBe(12 * MIB);
  expect(a.wasm).toBe(19 * MIB);
  expect(a.wasmCommitted).toBe(64 * MIB);
  expect(a.renderer).toBe(split.total);
  expect(a.nativeHeaps).toBe(2 * MIB);
  // heaps 4 + 8, buffers 2 + 2, Oilpan 1 + 1, WASM 12 + 19, files 41, shared 1.5, code 5, PartitionAlloc 6 − buffers 4
  const kinds = 12 * MIB + 4 * MIB + 2 * MIB + 31 * MIB + 41 * MIB + 1.5 * MIB + 5 * MIB + 2 * MIB;
  expect(a.measured).toBe(kinds);
  expect(a.unaccounted).toBe(split.total - kinds);
});

test('without a split of its own a Linux sample has no unaccounted; elsewhere the committed figures account', () => {
  const noSplit = account(heap(4), [], os, inApp, null, false);
  expect(noSplit.unaccounted).toBeNull();
  const committed = account(heap(4), [], os, inApp, null, true);
  expect(committed.wasmBasis).toBe('committed');
  expect(committed.pool).toBe(47644672);
  expect(committed.unaccounted).toBe(250 * MIB - (4 * MIB + 2 * MIB + 1 * MIB + 47644672 + 64 * MIB));
});

test('a split of another process than the page\'s renderer (the bench guessed the renderer before its workers ran) accounts for nothing: no unaccounted, no split kinds', () => {
  const split: RendererSplit = { ...splitMappings(parseSmaps(SMAPS)), pid: 99, at: 1, readMs: 1 };
  const a = account(heap(4), [], os, inApp, split, true);
  expect(a.rendererPid).toBe(7);
  expect(a.unaccounted).toBeNull();
  expect(a.files).toBeNull();
  expect(a.renderer).toBe(250 * MIB);
});

test('a split whose OS reading timed out under load still accounts: the renderer is the split\'s own total and pid', () => {
  const split: RendererSplit = { ...splitMappings(parseSmaps(SMAPS)), pid: 7, at: 1, readMs: 1 };
  const a = account(heap(4), [], null, inApp, split, true);
  expect(a.rendererPid).toBe(7);
  expect(a.renderer).toBe(split.total);
  expect(a.unaccounted).toBe(split.total - a.measured);
});

test('regression (bench, 2026-11-30: a codec memory\'s ~20 MB unaccounted in some runs; CI, stop 19: the lab hook\'s 128 MiB in 3 runs of 4): a WASM memory after a reservation just under 4 GiB, its tail merged with the next reservations, is found by its 4 GiB boundary and its ≥ 8 GiB tail, whatever its size', () => {
  const maps = parseSmaps([
    entry(at(sandbox, 36 * GIB), 512 * KB, 'rw-p', '', 0),
    entry(at(sandbox, 36 * GIB + 512 * KB), 4 * GIB - 512 * KB, '---p', '', 0), // just under 4 GiB
    entry(at(sandbox, 40 * GIB), 128 * MIB, 'rw-p', '', 128 * MIB),
    entry(at(sandbox, 40 * GIB + 128 * MIB), 1288 * GIB - 128 * MIB, '---p', '', 0), // its tail and the rest of the sandbox, merged
  ].join('\n'));
  expect(splitMappings(maps).wasm).toEqual([{ size: 128 * MIB, pss: 128 * MIB }]);
  expect(splitMappings(maps).otherPrivate).toBe(0);
});

test('a read-write mapping whose reservation ends less than 8 GiB past its start (a 4 GiB cage committed at its base), or that starts off a 4 GiB boundary after a small mapping, is no WASM memory', () => {
  const maps = parseSmaps([
    entry(at(sandbox, 44 * GIB), 2 * MIB, 'rw-p', '', 1 * MIB),
    entry(at(sandbox, 44 * GIB + 2 * MIB), 4 * GIB - 2 * MIB, '---p', '', 0),
    entry(at(sandbox, 48 * GIB + 1 * MIB), 1 * MIB, 'rw-p', '', 0),
    entry(at(sandbox, 48 * GIB + 2 * MIB), 3 * MIB, 'rw-p', '', 3 * MIB),
    entry(at(sandbox, 48 * GIB + 5 * MIB), 16 * GIB, '---p', '', 0),
  ].join('\n'));
  expect(splitMappings(maps).wasm).toEqual([]);
  expect(splitMappings(maps).otherPrivate).toBe(4 * MIB);
});
