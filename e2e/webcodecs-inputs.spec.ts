/**
 * The WebCodecs backend on clips it was not written against: made here at test time with the
 * project's ffmpeg.wasm core (no binary fixtures), each run through the page (pooled, a switch
 * every N frames), its segments counted by ffmpeg.wasm in Node, an independent decoder.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { nodeCore, probeFile, segmentsOfZip } from './support/probe-output.ts';
import { chooseFile, open, setControls, waitForRunEnd } from './support/dashboard.ts';

const clipDir = join(tmpdir(), 'framepool-e2e-clips', 'webcodecs-inputs');
const core = nodeCore;

/** A clip made by ffmpeg.wasm from a lavfi source (cached in the temp folder under a name that holds its arguments' hash). */
async function makeInput(fileName: string, source: string, output: readonly string[]): Promise<string> {
  mkdirSync(clipDir, { recursive: true });
  const path = join(clipDir, `${createHash('sha1').update(JSON.stringify([source, output])).digest('hex').slice(0, 8)}-${fileName}`);
  if (existsSync(path)) return path;
  const c = await core();
  const rc = c.exec(['-hide_banner', '-f', 'lavfi', '-i', source, ...output, `/${fileName}`]);
  if (rc !== 0) throw new Error(`making ${fileName} failed (${rc}): ${c.logTail().slice(-800)}`);
  writeFileSync(path, c.FS.readFile(`/${fileName}`));
  c.FS.unlink(`/${fileName}`);
  return path;
}

/** Chooses the file, waits until WebCodecs is said to read it, and runs it pooled, switching every N frames. */
async function runWithWebCodecs(page: Page, path: string, resolution: string, everyN: number): Promise<string> {
  await open(page);
  await chooseFile(page, path);
  await expect(page.getByTestId('file-info').locator('[data-field=resolution]')).toContainText(resolution, { timeout: 60_000 });
  await expect(page.locator('[data-backend="webcodecs"]')).toHaveAttribute('data-readable', 'yes', { timeout: 30_000 });
  await page.getByTestId('backend').selectOption('webcodecs');
  await setControls(page, { mode: 'pooled', pacing: 'max', switching: 'every', everyN });
  await page.getByTestId('start').click();
  return waitForRunEnd(page, 150_000);
}

/** The page's segment rows (size and frames) beside what ffmpeg.wasm counts in the downloaded files. */
async function listedAndCounted(page: Page): Promise<{ listed: string[]; counted: string[]; frames: number }> {
  const rows = page.getByTestId('segments').locator('tr');
  const listed = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-width')}x${tr.getAttribute('data-height')}:${tr.children[3]?.textContent}`));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-all').click()]);
  const zip = test.info().outputPath('segments.zip');
  await download.saveAs(zip);
  const segments = await segmentsOfZip(zip);
  return {
    listed,
    counted: segments.map((s) => `${s.width}x${s.height}:${s.frames}`),
    frames: segments.reduce((n, s) => n + s.frames, 0),
  };
}

const testsrc = (size: string, rate: number, seconds: number) => `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`;
const X264 = ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast'];
const VP8 = ['-pix_fmt', 'yuv420p', '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8'];

const CASES = [
  { title: 'H.264 High with 3 B-frames (x264 medium), 1280×720', file: 'high-bf3-1280x720.mp4', resolution: '1280×720', everyN: 20,
    make: () => makeInput('high-bf3-1280x720.mp4', testsrc('1280x720', 30, 2), ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'medium', '-profile:v', 'high', '-bf', '3']) },
  { title: 'VP8 in WebM', file: 'vp8-640x360.webm', resolution: '640×360', everyN: 20,
    make: () => makeInput('vp8-640x360.webm', testsrc('640x360', 30, 2), VP8) },
  { title: 'H.264 (with B-frames) in MPEG-TS', file: 'h264-640x360.ts', resolution: '640×360', everyN: 20,
    make: () => makeInput('h264-640x360.ts', testsrc('640x360', 30, 2), ['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-f', 'mpegts']) },
  { title: 'VP8 at an odd size, 641×359', file: 'vp8-641x359.webm', resolution: '641×359', everyN: 20,
    make: () => makeInput('vp8-641x359.webm', `testsrc=size=641x359:rate=30:duration=2`, VP8) }, // testsrc2 rounds sizes to even; testsrc does not
  { title: 'H.264 High 4:4:4 (decoder output not I420)', file: 'h264-444.mp4', resolution: '640×360', everyN: 20,
    make: () => makeInput('h264-444.mp4', testsrc('640x360', 30, 2), [...X264, '-pix_fmt', 'yuv444p']) },
  { title: 'H.264 High 4:2:2 (decoder output not I420)', file: 'h264-422.mp4', resolution: '640×360', everyN: 20,
    make: () => makeInput('h264-422.mp4', testsrc('640x360', 30, 2), [...X264, '-pix_fmt', 'yuv422p']) },
  { title: '25 fps H.264', file: 'h264-25fps.mp4', resolution: '640×360', everyN: 20,
    make: () => makeInput('h264-25fps.mp4', testsrc('640x360', 25, 2), X264) },
  { title: '60 fps H.264', file: 'h264-60fps.mp4', resolution: '640×360', everyN: 40,
    make: () => makeInput('h264-60fps.mp4', testsrc('640x360', 60, 2), X264) },
  { title: 'H.264 whose frames start at 10 s (-output_ts_offset 10)', file: 'h264-offset10.mp4', resolution: '640×360', everyN: 20,
    make: () => makeInput('h264-offset10.mp4', testsrc('640x360', 30, 2), [...X264, '-output_ts_offset', '10']) },
] as const;

for (const c of CASES) {
  test(`WebCodecs reads ${c.title}: every frame ffprobe counts in the input comes out, at the sizes the page lists, and the file is not called damaged`, async ({ page }) => {
    test.setTimeout(240_000);
    const path = await c.make();
    const input = await probeFile(path);
    const status = await runWithWebCodecs(page, path, c.resolution, c.everyN);
    expect(status).toContain(`done: ${input.frames} frames`);
    await expect(page.getByTestId('notice')).not.toContainText(/ended early|damaged/);
    const { listed, counted, frames } = await listedAndCounted(page);
    expect(frames).toBe(input.frames);
    expect(counted).toEqual(listed);
    expect(listed.length).toBe(Math.ceil(input.frames / c.everyN));
  });
}

const CUT_CASES = [
  { container: 'an MP4 (index first)', whole: () => makeInput('whole-faststart.mp4', testsrc('640x360', 30, 3), [...X264, '-movflags', '+faststart']), data: 'mdat' },
  // Half-second clusters: mediabunny drops the cluster the cut goes through, so the frames out are those of the whole clusters before it.
  { container: 'a WebM', whole: () => makeInput('whole.webm', testsrc('640x360', 30, 3), [...VP8, '-g', '15', '-cluster_time_limit', '500']), data: 'Cluster' },
] as const;

for (const c of CUT_CASES) {
  test(`WebCodecs on ${c.container} cut in the middle of its media data gives the frames before the cut and says the file ended early (no hang, no failure)`, async ({ page }) => {
    test.setTimeout(240_000);
    const whole = await c.whole();
    const bytes = readFileSync(whole);
    // The first media data: an MP4's mdat box, a WebM's first Cluster (element id 1F 43 B6 75).
    const data = c.data === 'mdat' ? bytes.indexOf('mdat') : bytes.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    expect(data).toBeGreaterThan(0);
    const cut = join(clipDir, `cut-${whole.split('/').pop()!}`);
    writeFileSync(cut, bytes.subarray(0, data + Math.floor((bytes.length - data) / 2)));
    const before = (await probeFile(cut)).frames; // what ffmpeg decodes from the cut file
    expect(before).toBeGreaterThan(10);
    expect(before).toBeLessThan(80);

    const status = await runWithWebCodecs(page, cut, '640×360', 10);
    expect(status).toMatch(/done: \d+ frames/);
    const out = Number(status.match(/done: (\d+) frames/)![1]);
    // What the cut went through is lost, where ffmpeg may decode part of it: a packet (MP4), a cluster (WebM).
    expect(out).toBeLessThanOrEqual(before + 1);
    expect(out).toBeGreaterThanOrEqual(before - (c.data === 'mdat' ? 1 : 15));
    await expect(page.getByTestId('notice')).toContainText('The file ended early');
    const { listed, counted, frames } = await listedAndCounted(page);
    expect(frames).toBe(out);
    expect(counted).toEqual(listed);
  });
}

test('WebCodecs on a WebM cut inside its only cluster fails with a sentence saying no frame could be read and what to try (was: done with 0 frames)', async ({ page }) => {
  test.setTimeout(240_000);
  const whole = await makeInput('one-cluster.webm', testsrc('640x360', 30, 2), VP8);
  const bytes = readFileSync(whole);
  const cluster = bytes.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
  expect(bytes.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), cluster + 4)).toBe(-1);
  const cut = join(clipDir, 'cut-one-cluster.webm');
  writeFileSync(cut, bytes.subarray(0, cluster + Math.floor((bytes.length - cluster) / 2)));
  const status = await runWithWebCodecs(page, cut, '640×360', 20);
  expect(status).toContain('failed: No frame could be read from this file with WebCodecs');
  expect(status).toContain('Try the ffmpeg.wasm backend');
});

test('A GIF (an image, not a video file) is described as unreadable by WebCodecs with a sentence saying why and what to choose', async ({ page }) => {
  const gif = await makeInput('animation.gif', testsrc('160x90', 10, 1), []);
  await open(page);
  await chooseFile(page, gif);
  const reader = page.locator('[data-backend="webcodecs"]');
  await expect(reader).toHaveAttribute('data-readable', 'no', { timeout: 60_000 });
  await expect(reader).toHaveAttribute('title', /cannot|does not|not a/);
  await expect(reader).toHaveAttribute('title', /ffmpeg\.wasm/);
});
