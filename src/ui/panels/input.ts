/** The input and run-setting pieces of the dashboard: the bundled sample, the file's description, the setting controls, drag and drop. */
import type { MediaInfo } from '../../codec/probe.ts';
import { CODEC_BACKENDS, type CodecBackendName } from '../../codec/backends.ts';
import { encoderConfig } from '../../codec/webcodecs/encoder-config.ts';
import { VIDEO_CODECS, videoCodec, type VideoCodecChoice } from '../../codec/codecs.ts';
import { scalerKind } from '../../pipeline/scale/scaler.ts';
import { ALLOCATION_MODES } from '../../pool/modes/index.ts';
import type { SwitchSchedule } from '../../pipeline/switch-schedule.ts';
import { fill, h } from '../dom.ts';
import { formatBytes, formatDuration, formatNumber } from '../format.ts';

/** The bundled sample as a File; rejects with a sentence when the server has none. */
export async function fetchSample(): Promise<File> {
  const response = await fetch('/sample.mp4');
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || type.includes('text/html')) throw new Error(`the server has no /sample.mp4 (HTTP ${response.status}); put one in public/ or choose your own video`);
  const blob = await response.blob();
  return new File([blob], 'sample.mp4', { type: 'video/mp4' });
}

/** Per backend: null when it reads the file, the reason when it cannot; absent while unknown. */
export type BackendReaders = Partial<Record<CodecBackendName, string | null>>;

/** Fills the file's description list (name and size at once, the rest once probed). */
export function renderFileInfo(el: HTMLElement, f: File | null, i: MediaInfo | null, readers: BackendReaders = {}): void {
  if (!f) {
    fill(el);
    return;
  }
  const row = (k: string, v: string, key: string) => [h('dt', {}, k), h('dd', { 'data-field': key }, v)];
  const rotation = i && i.rotation ? ` (rotated ${i.rotation}°: ${i.displayWidth}×${i.displayHeight} shown)` : '';
  fill(el,
    ...row('file', f.name, 'name'),
    ...row('size', formatBytes(f.size), 'size'),
    ...(i ? [
      ...row('codec', `${i.videoCodec} · ${i.pixelFormat}`, 'codec'),
      ...row('resolution', `${i.width}×${i.height}${rotation}`, 'resolution'),
      ...row('frame rate', `${formatNumber(i.frameRate, 2)} fps`, 'frame-rate'),
      ...row('duration', `${formatDuration(i.durationSec)}${i.frameCount ? ` · ${i.frameCount} frames` : ''}`, 'duration'),
      ...row('audio', i.hasAudio ? 'present — audio is ignored' : 'none', 'audio'),
      h('dt', {}, 'read by'),
      h('dd', { 'data-field': 'backends' }, ...CODEC_BACKENDS.flatMap((b, i) => {
        const why = readers[b.name];
        const state = why === undefined ? 'checking…' : why === null ? 'yes' : 'no';
        const entry = h('span', { class: `backend-reader ${state === 'no' ? 'muted' : ''}`, title: why ?? '', 'data-backend': b.name, 'data-readable': state }, `${b.label}: ${state}${why ? ` (${why})` : ''}`);
        return i === 0 ? [entry] : [document.createTextNode(' · '), entry];
      })),
    ] : [h('dd', { class: 'muted' }, 'reading…')]),
  );
}

/** Which scaler the scale worker runs (the same detection runs here). */
export const SCALER_LABEL = scalerKind() === 'wasm-simd' ? 'WASM SIMD scaler' : 'TypeScript scaler (no WASM SIMD in this browser)';


/** The run's setting controls (allocation mode, codec, pacing, switching and its parameters). */
export function runControls() {
  return {
    backend: h('select', { 'data-testid': 'backend', 'aria-label': 'codec backend' },
      ...CODEC_BACKENDS.map((b) => h('option', { value: b.name, title: b.summary }, b.label))),
    holdFrames: h('input', { type: 'number', min: 0, max: 32, value: 0, 'data-testid': 'hold-frames', 'aria-label': 'decoded frames held open',
      title: 'WebCodecs: decoded VideoFrames kept open after they are copied out, before the oldest is closed (code that holds frames; Chromium\'s decoder may stall)' }),
    encoderSwitch: h('select', { 'data-testid': 'encoder-switch', 'aria-label': 'WebCodecs encoder at a switch',
      title: 'new encoder: another VideoEncoder takes the new size at once while the old one flushes, and each size keeps its flushed encoder for its next segment; reconfigure: flush the live encoder, then configure() it for the new size' },
      h('option', { value: 'new-encoder' }, 'new encoder, kept per size'), h('option', { value: 'reconfigure' }, 'reconfigure')),
    mode: h('select', { 'data-testid': 'mode', 'aria-label': 'allocation mode' },
      ...ALLOCATION_MODES.map((m) => h('option', { value: m.name, title: m.summary }, m.label))),
    framesInFlight: h('input', { type: 'number', min: 2, max: 16, value: 6, 'data-testid': 'frames-in-flight', 'aria-label': 'frames in flight per link', title: 'frames each link holds before its producer waits: the same limit in every mode' }),
    encoders: h('select', { 'data-testid': 'encoders', 'aria-label': 'encoders at a switch', title: 'two: the next size\'s encoder starts at the switch while the last one closes; one: a switch waits for the close' },
      h('option', { value: '2' }, 'two (overlap)'), h('option', { value: '1' }, 'one')),
    // Which codecs a backend can encode here is set by syncCodecOptions (disabled ones say why).
    codec: h('select', { 'data-testid': 'codec', 'aria-label': 'codec' },
      ...VIDEO_CODECS.map((codec) => h('option', { value: codec.name }, codec.label))),
    pacing: h('select', { 'data-testid': 'pacing', 'aria-label': 'pacing' },
      h('option', { value: 'max' }, 'max speed'), h('option', { value: 'realtime' }, 'realtime (source frame rate)')),
    livePolicy: h('select', { 'data-testid': 'live-policy', 'aria-label': 'when the encoders fall behind',
      title: 'realtime only. block: every frame is kept and waits (latency grows while the encoders are behind); drop: a frame that would reach the encoders over 3 frame intervals late is dropped, counted per rung. Max speed always blocks.' },
      h('option', { value: 'block' }, 'block (keep every frame)'), h('option', { value: 'drop' }, 'drop late frames (live)')),
    switching: h('select', { 'data-testid': 'switching', 'aria-label': 'automatic switching' },
      h('option', { value: 'manual' }, 'manual (ladder buttons)'), h('option', { value: 'every' }, 'every N frames'), h('option', { value: 'storm' }, 'storm (seeded random)')),
    everyN: h('input', { type: 'number', min: 1, value: 30, 'data-testid': 'every-n', 'aria-label': 'frames between switches' }),
    seed: h('input', { type: 'number', min: 0, value: 42, 'data-testid': 'seed', 'aria-label': 'storm seed' }),
  };
}

/** Why WebCodecs cannot encode a codec here (isConfigSupported false at 640×360), or null when it can; filled once at load. */
const webCodecsEncoders = new Map<string, string | null>();
export const webCodecsEncodersChecked: Promise<void> = typeof VideoEncoder === 'undefined'
  ? Promise.resolve().then(() => { for (const c of VIDEO_CODECS) webCodecsEncoders.set(c.name, 'This browser has no WebCodecs VideoEncoder.'); })
  : Promise.all(VIDEO_CODECS.map(async ({ name: codec }) => {
    const config = encoderConfig(codec, 640, 360, 30);
    const supported = await VideoEncoder.isConfigSupported(config).then((r) => r.supported === true, () => false);
    webCodecsEncoders.set(codec, supported ? null : `This browser's VideoEncoder does not support ${config.codec} (isConfigSupported is false).`);
  })).then(() => undefined);

/** Enables the codecs `backend` can encode here; each disabled one says why in its tooltip. */
export function syncCodecOptions(select: HTMLSelectElement, backend: CodecBackendName): void {
  for (const option of Array.from(select.options)) {
    const codec = videoCodec(option.value as VideoCodecChoice);
    const why = backend === 'ffmpeg' ? codec.ffmpeg.unavailable ?? null : webCodecsEncoders.get(codec.name) ?? null;
    option.disabled = why !== null;
    option.title = why ?? '';
    option.textContent = `${backend === 'ffmpeg' ? codec.ffmpeg.label : codec.label}${why ? ' (unavailable)' : ''}`;
  }
  if (select.selectedOptions[0]?.disabled) select.value = 'h264';
}

/** Drag and drop anywhere on the page: shows `overlay` while a file hovers, hands over the dropped file. */
export function wireDrop(overlay: HTMLElement, onFile: (file: File) => void): void {
  let depth = 0;
  window.addEventListener('dragenter', (ev) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => {
    ev.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const file = ev.dataTransfer?.files[0];
    if (file) onFile(file);
  });
}

/** The switch schedule the switching controls describe. */
export function scheduleFrom(switching: string, everyN: string, seed: string): SwitchSchedule {
  const n = Math.max(1, Math.floor(Number(everyN) || 30));
  switch (switching) {
    case 'every': return { kind: 'every', frames: n };
    case 'storm': return { kind: 'storm', seed: Math.floor(Number(seed) || 0), everyFrames: n, maxSwitches: 100_000 };
    default: return { kind: 'manual' };
  }
}

/** Frames the file should give (for the progress bar), null when it does not say. */
export function expectedFrames(i: MediaInfo | null): number | null {
  if (!i) return null;
  if (i.frameCount) return i.frameCount;
  return i.durationSec > 0 && i.frameRate > 0 ? Math.round(i.durationSec * i.frameRate) : null;
}
