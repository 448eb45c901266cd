/**
 * A tiny static server for the bench, on loopback only, with the headers a cross-origin
 * isolated page needs (COOP/COEP, and CORP on every response). Serves:
 *   /                 bench/dist (the bench page build)
 *   /inputs/…         the generated inputs (bench/inputs)
 *   /ffmpeg-core/…    @ffmpeg/core's ESM build, for the @ffmpeg/ffmpeg baseline (same origin, no network)
 * Port 0: the OS picks a free port (never the e2e tests' 4873).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.mp4': 'video/mp4',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export interface BenchServer {
  origin: string;
  close(): Promise<void>;
}

/** `mounts`: URL prefix → directory, longest prefix first. */
export async function startBenchServer(mounts: Record<string, string>): Promise<BenchServer> {
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    const mount = entries.find(([prefix]) => path.startsWith(prefix));
    if (!mount || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const [prefix, dir] = mount;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(normalize(dir) + sep) && file !== normalize(dir)) {
      res.writeHead(403).end();
      return;
    }
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bench server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
