/** Bad input to `npm run lab` ends with one sentence saying what to do (exit code 1). */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { findBrowser } from '../../lab/chromium.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function lab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lab/main.ts', ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

test('no browser in any usual place: says what to install', () => {
  expect(() => findBrowser({}, ['/nonexistent/chromium', '/nonexistent/chrome'])).toThrow(
    /No Chromium or Chrome found .*sudo apt-get install -y chromium.* or set CHROMIUM_PATH/);
});

test('CHROMIUM_PATH pointing nowhere: exit 1 and a sentence naming the variable', () => {
  const r = lab(['--headless'], { CHROMIUM_PATH: '/nonexistent/chromium' });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^CHROMIUM_PATH is \/nonexistent\/chromium, which does not exist: point it at a Chromium or Chrome binary/);
  expect(r.out.split('\n')).toHaveLength(1);
}, 60_000);

let busy: Server | null = null;
afterAll(() => { busy?.close(); });

test('a port in use: exit 1 and a sentence saying to pick another or leave --port out', async () => {
  busy = createServer();
  const port = await new Promise<number>((ok) => busy!.listen(0, '127.0.0.1', () => ok((busy!.address() as { port: number }).port)));
  const r = lab(['--headless', '--port', String(port)]);
  expect(r.code).toBe(1);
  expect(r.out).toBe(`Port ${port} is already in use on 127.0.0.1: stop what listens there, pick another with --port N, or leave --port out to get a free one.`);
}, 60_000);

test('a file that is not a video: exit 1 with the app\'s reason and what to give instead', () => {
  const r = lab(['--headless', '--file', 'package.json', '--report', '/dev/null']);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/package\.json cannot be used: .*Give --file a video the app can decode/);
}, 120_000);

test('a missing file and a bad mode: exit 1 before anything starts', () => {
  expect(lab(['--file', '/nonexistent/clip.mp4']).out).toBe('No file at /nonexistent/clip.mp4: give --file the path of a video, or leave it out to use the bundled sample.');
  expect(lab(['--mode', 'copy']).out).toBe('--mode must be pooled or unpooled, not "copy".');
}, 60_000);
