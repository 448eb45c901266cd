/**
 * Finding and launching the Chromium or Chrome the lab owns: DevTools on a loopback-only
 * port (the browser binds 127.0.0.1 for --remote-debugging-port), a throw-away profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from './errors.ts';

/** Where Chromium and Chrome usually live, in the order tried after CHROMIUM_PATH. */
export const BROWSER_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** CHROMIUM_PATH if set (it must exist), else the first candidate that exists. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env, candidates = BROWSER_CANDIDATES): string {
  const chosen = env.CHROMIUM_PATH;
  if (chosen) {
    if (existsSync(chosen)) return chosen;
    throw new LabError(`CHROMIUM_PATH is ${chosen}, which does not exist: point it at a Chromium or Chrome binary, or unset it to use ${candidates[0]}.`);
  }
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new LabError(
    'No Chromium or Chrome found (looked in ' + candidates.join(', ') + '): install one ' +
    '(Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH to its binary.');
}

export interface LaunchedBrowser {
  readonly process: ChildProcess;
  /** The browser process id: the root of the process tree the OS figures cover. */
  readonly pid: number;
  /** ws://127.0.0.1:PORT/devtools/browser/ID */
  readonly wsEndpoint: string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  executable: string;
  headless: boolean;
  /** Extra command-line switches. */
  args?: string[];
  timeoutMs?: number;
}

/** Starts the browser and resolves once its DevTools endpoint is announced. */
export async function launchBrowser(opts: LaunchOptions): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'framepool-lab-'));
  const args = [
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-features=Translate,MediaRouter',
    ...(opts.headless ? ['--headless', '--disable-gpu'] : []),
    // Chromium refuses to start as root with its sandbox (containers, CI).
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ...(opts.args ?? []),
    'about:blank',
  ];
  const child = spawn(opts.executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const cleanup = () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // a helper process may still be writing its last file: a leftover temp profile is harmless
    }
  };
  const wsEndpoint = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(new LabError(`${opts.executable} did not open its DevTools port within ${(opts.timeoutMs ?? 30_000) / 1000} s; its output:\n${stderr.slice(-2000)}`)), opts.timeoutMs ?? 30_000);
    const fail = (e: Error) => { clearTimeout(timer); child.kill('SIGKILL'); reject(e); };
    child.on('error', (e) => fail(new LabError(`Could not start ${opts.executable} (${e.message}): set CHROMIUM_PATH to a working Chromium or Chrome.`)));
    child.on('exit', (code) => fail(new LabError(
      `${opts.executable} exited (code ${code}) before opening its DevTools port` +
      (!opts.headless && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
        ? ': there is no display here (DISPLAY is unset); run with --headless, or from a desktop session.'
        : `; its output:\n${stderr.slice(-2000)}`))));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(m[1]!);
      }
    });
  }).catch((e: unknown) => { cleanup(); throw e; });
  if (!/^ws:\/\/(127\.0\.0\.1|\[::1\]|localhost):/.test(wsEndpoint)) {
    child.kill('SIGKILL');
    cleanup();
    throw new LabError(`The browser's DevTools endpoint ${wsEndpoint} is not on loopback; the lab refuses to use it.`);
  }
  child.stderr!.resume();
  // Whatever way Node ends (a signal before the lab's handlers, an uncaught error), the browser ends with it.
  const killOnExit = () => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let closed: Promise<void> | null = null;
  return {
    process: child,
    pid: child.pid!,
    wsEndpoint,
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => { clearTimeout(timer); resolve(); });
        child.kill('SIGTERM');
      }).then(cleanup);
      return closed;
    },
  };
}
