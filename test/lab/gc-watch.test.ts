/** Counting V8's collections per worker from trace events (lab/gc-watch.ts), without a browser. */
import { expect, test } from 'vitest';
import { countCollections, GcWatcher } from '../../lab/gc-watch.ts';

const X = (name: string, tid: number, durUs: number, pid = 100) => ({ name, ph: 'X', pid, tid, dur: durUs });

test('scavenges and mark-sweeps count as minor, mark-compacts as major, their durations summed as pause; other processes and sub-phases ignored', () => {
  const perThread = countCollections([
    X('V8.GC_SCAVENGER', 101, 1500), X('V8.GC_MINOR_MARK_SWEEPER', 101, 500), X('V8.GC_MARK_COMPACTOR', 101, 20_000),
    X('V8.GC_MC_MARK', 101, 9000), X('V8.GC_SCAVENGER', 999, 1000, 555), { name: 'V8.GC_SCAVENGER', ph: 'B', pid: 100, tid: 101 },
  ], 100);
  expect(perThread.get(101)).toEqual({ minor: 2, major: 1, pauseMs: 22 });
  expect(perThread.size).toBe(1);
});

/** A watcher whose loop never traces (its page rejects at once), to drive `add` by hand. */
function idleWatcher(): GcWatcher {
  const page = { client: { on() {}, removeListener() {}, once() {} }, sendBrowser: () => Promise.reject(new Error('no browser')) };
  const w = new GcWatcher(page as never, () => null, () => []);
  void w.stop();
  return w;
}

test('worker threads are matched to targets by start order and totals add up across windows; the page is the main thread', () => {
  const w = idleWatcher();
  const window = new Map([[100, { minor: 1, major: 0, pauseMs: 1 }], [201, { minor: 5, major: 1, pauseMs: 10 }], [305, { minor: 0, major: 2, pauseMs: 30 }]]);
  w.add(window, 100, [201, 305], ['decode', 'encode']);
  w.add(window, 100, [201, 305], ['decode', 'encode']);
  expect(w.totals.get('decode')).toMatchObject({ minor: 10, major: 2, pauseMs: 20 });
  expect(w.totals.get('encode')).toMatchObject({ minor: 0, major: 4, pauseMs: 60 });
  expect(w.totals.get('page')).toMatchObject({ minor: 2, major: 0 });
});

test('when the renderer has not as many worker threads as the page has workers, no worker is counted and the note says why', () => {
  const w = idleWatcher();
  w.add(new Map([[201, { minor: 5, major: 1, pauseMs: 10 }]]), 100, [201, 305, 410], ['decode', 'encode']);
  expect(w.totals.has('decode')).toBe(false);
  expect(w.note).toMatch(/3 worker threads and the page 2 worker targets/);
});
