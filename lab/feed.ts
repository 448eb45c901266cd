/**
 * The feed: the probe's samples reach the page from the app's own origin, as routes of the
 * dev server the lab starts (so the Content-Security-Policy stays 'self' only):
 *
 *   GET /__lab/memory/status  → LabStatus (JSON). Any other server: 404, the panel's cue.
 *   GET /__lab/memory         → Server-Sent Events: one `sample` event per probe sample
 *                               (a `backlog` event first, with the last minute).
 *   GET /__lab/memory.json    → { samples } since ?since=<t> (polling, tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProbeSample } from './probe.ts';
import type { LabStatus } from './protocol.ts';

const BACKLOG = 600;

export class LabFeed {
  private readonly recent: ProbeSample[] = [];
  private readonly clients = new Set<ServerResponse>();

  constructor(public status: LabStatus) {}

  publish(sample: ProbeSample): void {
    this.recent.push(sample);
    if (this.recent.length > BACKLOG) this.recent.splice(0, this.recent.length - BACKLOG);
    const frame = `event: sample\ndata: ${JSON.stringify(sample)}\n\n`;
    for (const res of this.clients) res.write(frame);
  }

  /** Connect-style middleware for the routes above; calls next() for anything else. */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://lab');
    if (req.method !== 'GET') return next();
    if (url.pathname === '/__lab/memory/status') return json(res, this.status);
    if (url.pathname === '/__lab/memory.json') {
      const since = Number(url.searchParams.get('since') ?? 0);
      return json(res, { samples: this.recent.filter((s) => s.t > since) });
    }
    if (url.pathname === '/__lab/memory') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'Cross-Origin-Resource-Policy': 'same-origin' });
      res.write(`retry: 2000\nevent: backlog\ndata: ${JSON.stringify(this.recent)}\n\n`);
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
      return;
    }
    next();
  };

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' });
  res.end(JSON.stringify(body));
}
