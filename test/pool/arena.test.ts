import { describe, expect, it } from 'vitest';
import { ARENA_ALIGN, FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { ArenaExhaustedError } from '../../src/pool/errors.ts';
import { rng } from './helpers.ts';

describe('FrameArena', () => {
  it('carves aligned blocks and grows the shared memory when full', () => {
    const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 8 * WASM_PAGE });
    expect(arena.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = arena.alloc(100);
    const b = arena.alloc(40_000);
    expect(a % ARENA_ALIGN).toBe(0);
    expect(b).toBe(128);
    const epoch = arena.epoch();
    const c = arena.alloc(40_000); // past the first page
    expect(arena.lastAllocGrew).toBe(true);
    expect(arena.epoch()).toBe(epoch + 1);
    expect(arena.stats().grows).toBe(1);
    expect(arena.bytes().byteLength).toBeGreaterThanOrEqual(c + 40_000);
    expect(() => arena.alloc(8 * WASM_PAGE)).toThrow(ArenaExhaustedError);
  });

  it('reuses freed blocks, coalesces neighbours and lowers the bump pointer', () => {
    const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 4 * WASM_PAGE });
    const a = arena.alloc(1000);
    const b = arena.alloc(1000);
    const c = arena.alloc(1000);
    arena.free(a, 1000);
    arena.free(b, 1000);
    expect(arena.stats().freeBlocks).toBe(1); // a and b merged
    expect(arena.alloc(2000)).toBe(a); // fits in the merged block
    arena.free(a, 2000);
    arena.free(c, 1000);
    expect(arena.stats()).toMatchObject({ freeBlocks: 0, bumpBytes: 0, reservedBytes: 0 });
  });

  it('survives a seeded random alloc/free sequence without overlap', () => {
    const arena = FrameArena.create({ initialBytes: WASM_PAGE, maxBytes: 64 * WASM_PAGE });
    const rand = rng(42);
    const live = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      if (live.size > 0 && rand() < (live.size > 100 ? 0.6 : 0.4)) {
        const keys = [...live.keys()];
        const off = keys[Math.floor(rand() * keys.length)]!;
        arena.free(off, live.get(off)!);
        live.delete(off);
      } else {
        const size = 1 + Math.floor(rand() * 20_000);
        const off = arena.alloc(size);
        expect(off % ARENA_ALIGN).toBe(0);
        for (const [o, s] of live) {
          const end = o + Math.ceil(s / ARENA_ALIGN) * ARENA_ALIGN;
          if (!(off + size <= o || off >= end)) throw new Error(`block ${off}+${size} overlaps ${o}+${s}`);
        }
        live.set(off, size);
      }
    }
    for (const [o, s] of live) arena.free(o, s);
    expect(arena.stats()).toMatchObject({ reservedBytes: 0, bumpBytes: 0, freeBlocks: 0, lostBytes: 0 });
  });
});
