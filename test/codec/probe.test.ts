import { beforeAll, describe, expect, it } from 'vitest';
import type { CodecCore } from '../../src/codec/core.ts';
import { ProbeError, probeMedia, type ProbeErrorKind } from '../../src/codec/probe.ts';
import { loadCore, makeClip, makeRotatedClip, rng, run } from './helpers.ts';

let core: CodecCore;
beforeAll(async () => {
  core = await loadCore();
});

function probeError(path: string): ProbeError {
  try {
    probeMedia(core, path);
  } catch (e) {
    if (e instanceof ProbeError) return e;
    throw e;
  }
  throw new Error(`probe of ${path} succeeded`);
}

describe('probeMedia', () => {
  it('describes a normal clip', () => {
    run(core, ['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=30:d=1.5', '-f', 'lavfi', '-i', 'sine=d=1.5', '-c:v', 'libx264', '-c:a', 'aac', '/normal.mp4']);
    expect(probeMedia(core, '/normal.mp4')).toMatchObject({
      videoCodec: 'h264', width: 96, height: 64, pixelFormat: 'yuv420p', frameRate: 30, frameCount: 45,
      rotation: 0, displayWidth: 96, displayHeight: 64, sampleAspectRatio: 1, hasAudio: true,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
    });
    expect(probeMedia(core, '/normal.mp4').durationSec).toBeCloseTo(1.5, 1);
  });

  it('reads rotation and applies it (and the sample aspect ratio) to the display size', () => {
    makeRotatedClip(core, '/rot.mp4', 64, 32);
    expect(probeMedia(core, '/rot.mp4')).toMatchObject({ width: 64, height: 32, rotation: 90, displayWidth: 32, displayHeight: 64 });
    makeClip(core, '/sar.mp4', { size: '64x32', frames: 5, extra: ['-vf', 'setsar=2', '-c:v', 'libx264'] });
    expect(probeMedia(core, '/sar.mp4')).toMatchObject({ width: 64, sampleAspectRatio: 2, displayWidth: 128, displayHeight: 32 });
  });

  const bad: [string, ProbeErrorKind, () => void][] = [
    ['audio only', 'no-video', () => makeClip(core, '/audio.m4a', { source: 'sine=d=0.5', frames: 0, extra: ['-c:a', 'aac'] })],
    ['empty', 'empty', () => core.FS.writeFile('/empty.mp4', new Uint8Array(0))],
    ['random bytes', 'unreadable', () => {
      const r = rng(42);
      core.FS.writeFile('/random.mp4', Uint8Array.from({ length: 64 * 1024 }, () => Math.floor(r() * 256)));
    }],
  ];
  const paths: Record<string, string> = { 'audio only': '/audio.m4a', empty: '/empty.mp4', 'random bytes': '/random.mp4' };
  for (const [name, kind, make] of bad) {
    it(`${name} → ProbeError '${kind}' with a user sentence`, () => {
      make();
      const e = probeError(paths[name]!);
      expect(e.kind).toBe(kind);
      expect(e.userMessage).toMatch(/^[A-Z].*\.$/);
    });
  }

  it('a missing path → unreadable', () => {
    expect(probeError('/nope.mp4').kind).toBe('unreadable');
  });
});
