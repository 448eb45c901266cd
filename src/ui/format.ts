/** Number formatting for the dashboard (pure). */

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${Math.round(bytes)} B`;
  if (abs < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (abs < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatNumber(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return '–';
  return n.toFixed(digits);
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec <= 0) return 'unknown';
  const m = Math.floor(sec / 60);
  const s = sec - m * 60;
  return m > 0 ? `${m} min ${s.toFixed(1)} s` : `${s.toFixed(2)} s`;
}

/**
 * Realtime: " · 1.2 s behind realtime" once the newest frame reached the encoder more than three
 * frame intervals after its due time (the drop policy's bound), else "". A size the machine
 * cannot encode at the source's rate shows so: frames queue, and latency grows with the queue.
 */
export function behindRealtimeText(behind: { lateMs: number; intervalMs: number } | null): string {
  if (!behind || !(behind.lateMs > 3 * behind.intervalMs)) return '';
  return ` · ${formatMs(behind.lateMs)} behind realtime`;
}
