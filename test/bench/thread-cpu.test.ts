import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { threadDelta, threadTimes } from '../../bench/thread-cpu.ts';

/** This thread's CPU ms from its stat's utime + stime (clock ticks of 10 ms): an independent second reading. */
function statCpuMs(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Keeps this thread on the CPU until the process has used `ms` more CPU time. */
function burn(ms: number): void {
  const target = process.cpuUsage().user + ms * 1000;
  let x = 0;
  while (process.cpuUsage().user < target) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

describe('thread-cpu: per-thread CPU from /proc', () => {
  it('charges CPU burnt on this thread to this thread (tid = pid), not to the others', () => {
    const before = threadTimes([process.pid]);
    const statBefore = statCpuMs();
    burn(150);
    const statMs = statCpuMs() - statBefore;
    const delta = threadDelta(before, threadTimes([process.pid]));
    const main = delta.find((t) => t.tid === process.pid);
    expect(main?.pid).toBe(process.pid);
    expect(main?.comm.length).toBeGreaterThan(0);
    expect(main?.process).toBe('node');
    // At least most of the burnt 150 ms (other threads of the process count towards cpuUsage too).
    expect(main!.cpuMs).toBeGreaterThan(100);
    // On-CPU time, not time spent waiting for a core: it agrees with the tick count to a few ticks.
    expect(Math.abs(main!.cpuMs - statMs)).toBeLessThan(40);
    const others = delta.filter((t) => t.tid !== process.pid).reduce((sum, t) => sum + t.cpuMs, 0);
    expect(others).toBeLessThan(main!.cpuMs);
  });
});
