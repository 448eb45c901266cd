/**
 * The page's renderer split by what its pages are, from /proc/<pid>/smaps (Linux): the part of
 * the OS figure that no isolate reports. Measured in this repo (README "Lab", Chromium 156):
 *
 * - file-backed mappings: Chromium's binary, its libraries, fonts, ICU data;
 * - shared mappings (memfd, /dev/shm, rw-s): IPC and compositor buffers shared with the
 *   browser and GPU processes (PSS splits them between the processes that map them);
 * - anonymous executable mappings: JIT code (V8's code space, wasm Liftoff/TurboFan code);
 * - WebAssembly memories: V8 reserves each 32-bit memory with guard regions, so its committed
 *   part is an anonymous read-write mapping followed by its PROT_NONE tail (isWasmMemory; the
 *   pool's arena and every codec's memory looked so; V8's pointer cage, Oilpan's cage and
 *   PartitionAlloc's super pages did not). Their PSS is what is resident,
 *   which can be far below the committed size the app reports;
 * - PartitionAlloc: Chromium's malloc, Blink's partitions and the ArrayBuffer partition. PA
 *   maps each 2 MiB super page (and each direct-mapped allocation) with its first 16 KiB as
 *   guard and metadata, so its read-write part starts 16 KiB past a 2 MiB boundary; V8's heap
 *   pages, Oilpan's pages and thread stacks did not start there (checked on a run's smaps: the
 *   ArrayBuffer partition's pages matched the workers' backingStorageSize, 7.4 MB vs 7.8 MB);
 * - the rest of the private memory: V8 and Oilpan heaps, thread stacks — split further by the
 *   isolates' own figures (accounting.ts).
 *
 * Reading smaps walks the process's page tables, so the probe does it at most every
 * SMAPS_PERIOD_MS, not at every sample.
 */
import { readFile } from 'node:fs/promises';

export interface WasmMemoryMapping {
  /** Committed bytes (the mapping's length: the memory's byteLength). */
  size: number;
  /** Resident bytes, PSS. */
  pss: number;
}

export interface RendererSplit {
  files: number;
  shared: number;
  code: number;
  wasm: WasmMemoryMapping[];
  /** PartitionAlloc's super pages and direct maps: malloc, Blink's partitions, ArrayBuffers. */
  partitionAlloc: number;
  /** Private anonymous memory that is none of the above. */
  otherPrivate: number;
  /** PSS of every mapping: the renderer's PSS at the moment of this split. */
  total: number;
  /** The process it describes; when it was read (ms since the epoch) and how long reading took. */
  pid: number;
  at: number;
  readMs: number;
}

const GIB = 1024 ** 3;
const SUPER_PAGE = 2 * 1024 * 1024;
const PA_FIRST_WRITABLE = 16 * 1024;
const WASM_RESERVATION = 8 * GIB;

interface Mapping { start: number; end: number; perm: string; path: string; pss: number }

/** Parses smaps text into mappings (address range, permissions, path, PSS in bytes). */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | null = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perm: head[3]!, path: head[4]!.trim(), pss: 0 };
      out.push(cur);
    } else if (cur && line.startsWith('Pss:')) {
      cur.pss = Number(/(\d+) kB/.exec(line)?.[1] ?? 0) * 1024;
    }
  }
  return out;
}

const isReservation = (m: Mapping | undefined, adjacentTo: number) =>
  m !== undefined && m.perm.startsWith('---') && m.path === '' && (m.end === adjacentTo || m.start === adjacentTo) && m.end - m.start >= 4 * GIB;

/**
 * A WebAssembly memory's committed part: V8 reserves 8 GiB per 32-bit memory, the memory at its
 * start, so it is followed by a PROT_NONE tail reaching at least 8 GiB past its start (more when
 * the kernel merged it with the next reservation, or with the rest of V8's sandbox). Every memory
 * seen (the pool's arena, every codec's, the lab hook's; dozens of runs) started on a 4 GiB
 * boundary; what precedes one is layout luck: usually another memory's tail, but also a
 * reservation just under 4 GiB (the hook page: 3 runs in 4, and a codec's memory in a third
 * of bench runs) or a small mapping (CI, stop 18). So: a 4 GiB boundary, or between two
 * ≥ 4 GiB reservations. A V8 or Oilpan cage's committed start is neither (the cages keep a
 * PROT_NONE guard at their base, and their reservations end 4 GiB past it).
 */
function isWasmMemory(maps: readonly Mapping[], i: number): boolean {
  const m = maps[i]!, next = maps[i + 1];
  if (!m.perm.startsWith('rw') || m.path !== '' || !isReservation(next, m.end) || next!.end - m.start < WASM_RESERVATION) return false;
  return m.start % (4 * GIB) === 0 || isReservation(maps[i - 1], m.start);
}

/** Splits parsed mappings into the kinds above. */
export function splitMappings(maps: readonly Mapping[]): Omit<RendererSplit, 'pid' | 'at' | 'readMs'> {
  let files = 0, shared = 0, code = 0, partitionAlloc = 0, otherPrivate = 0, total = 0;
  const wasm: WasmMemoryMapping[] = [];
  maps.forEach((m, i) => {
    if (m.pss === 0) return;
    total += m.pss;
    if (m.perm[3] === 's' || m.path.startsWith('/memfd:') || m.path.startsWith('/dev/shm')) shared += m.pss;
    else if (m.path.startsWith('/')) files += m.pss;
    else if (m.perm[2] === 'x') code += m.pss;
    else if (isWasmMemory(maps, i)) wasm.push({ size: m.end - m.start, pss: m.pss });
    else if (m.perm.startsWith('rw') && m.path === '' && m.start % SUPER_PAGE === PA_FIRST_WRITABLE) partitionAlloc += m.pss;
    else otherPrivate += m.pss; // anonymous, [heap], [stack], [anon:…]
  });
  return { files, shared, code, wasm, partitionAlloc, otherPrivate, total };
}

/** Reads and splits /proc/<pid>/smaps; null when the process is gone or unreadable. */
export async function readRendererSplit(pid: number): Promise<RendererSplit | null> {
  const t0 = performance.now();
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  return { ...splitMappings(parseSmaps(text)), pid, at: Date.now(), readMs: performance.now() - t0 };
}
