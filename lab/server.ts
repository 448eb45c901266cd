/**
 * The app's Vite dev server, started programmatically with the app's own config
 * (vite.config.ts: COOP/COEP, the self-only CSP), bound to 127.0.0.1, plus the lab feed's
 * routes (lab/feed.ts).
 */
import { createServer as createNetServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { LabError } from './errors.ts';
import type { LabFeed } from './feed.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A port nobody listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

/** Fails with a sentence when `port` is taken on 127.0.0.1. */
export function checkPortFree(port: number): Promise<void> {
  return new Promise((ok, reject) => {
    const s = createNetServer();
    s.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new LabError(`Port ${port} is already in use on 127.0.0.1: stop what listens there, pick another with --port N, or leave --port out to get a free one.`)
      : new LabError(`Cannot listen on 127.0.0.1:${port} (${e.message}): pick another port with --port N, or leave --port out.`)));
    s.listen(port, '127.0.0.1', () => s.close(() => ok()));
  });
}

export interface LabServer {
  readonly url: string;
  readonly vite: ViteDevServer;
  close(): Promise<void>;
}

/** Starts the dev server on `port` (a free one if omitted) with `feed`'s routes. */
export async function startLabServer(feed: LabFeed, port?: number): Promise<LabServer> {
  if (port !== undefined) await checkPortFree(port);
  const chosen = port ?? await freePort();
  const vite = await createServer({
    root: REPO_ROOT,
    configFile: resolve(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    // Its own dependency cache: a plain `npm run dev` re-optimising the shared one would reload the lab's page mid-run.
    cacheDir: resolve(REPO_ROOT, 'node_modules/.vite-lab'),
    server: { host: '127.0.0.1', port: chosen, strictPort: true, open: false },
    plugins: [{
      name: 'framepool-lab-feed',
      configureServer(server) {
        server.middlewares.use(feed.middleware);
      },
    }],
  });
  try {
    await vite.listen();
  } catch (e) {
    await vite.close();
    const msg = e instanceof Error ? e.message : String(e);
    if (/in use/i.test(msg)) throw new LabError(`Port ${chosen} is already in use on 127.0.0.1: pick another with --port N, or leave --port out to get a free one.`);
    throw e;
  }
  return {
    url: `http://127.0.0.1:${chosen}`,
    vite,
    async close() {
      feed.close();
      await vite.close();
    },
  };
}
