/**
 * Preview of the scaled output: the newest frame from the preview tap, converted I420 → RGB
 * into a 2D canvas. Draws at most PREVIEW_FPS times a second; a frame is borrowed only for
 * the conversion and released at once, so a slow preview skips frames instead of holding slots.
 */
import { h } from './dom.ts';
import type { UiRun } from './engine.ts';

const PREVIEW_FPS = 12;
/** The canvas is at most this wide: the conversion subsamples larger frames. */
const MAX_PREVIEW_WIDTH = 480;

export class Preview {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly caption: HTMLElement;
  private image: ImageData | null = null;
  private run: UiRun | null = null;
  private lastDraw = 0;
  private frame = 0;
  drawn = 0;

  constructor() {
    this.canvas = h('canvas', { width: 320, height: 180, 'aria-label': 'preview of the scaled output' });
    this.ctx = this.canvas.getContext('2d')!;
    this.caption = h('p', { class: 'muted', 'data-testid': 'preview-size' }, 'No frame yet.');
    this.element = h('section', { class: 'panel preview' }, h('h2', {}, 'Preview (scaled output)'), this.canvas, this.caption);
  }

  attach(run: UiRun | null): void {
    this.run = run;
    cancelAnimationFrame(this.frame);
    if (run) this.frame = requestAnimationFrame((t) => this.tick(t));
  }

  private tick(now: number): void {
    const run = this.run;
    if (!run) return;
    if (run.phase === 'done' || run.phase === 'failed') return;
    this.frame = requestAnimationFrame((t) => this.tick(t));
    if (now - this.lastDraw < 1000 / PREVIEW_FPS) return;
    const frame = run.takePreview();
    if (!frame) return;
    this.lastDraw = now;
    try {
      this.draw(frame.data, frame.width, frame.height);
    } finally {
      frame.release();
    }
    this.caption.textContent = `${frame.width}×${frame.height}${frame.frameIndex >= 0 ? ` · frame ${frame.frameIndex}` : ''}`;
    this.drawn++;
  }

  /** I420 (tightly packed) → RGBA with nearest-neighbour subsampling to the canvas size. */
  private draw(data: Uint8Array, width: number, height: number): void {
    const step = Math.max(1, Math.ceil(width / MAX_PREVIEW_WIDTH));
    const w = Math.floor(width / step);
    const hgt = Math.floor(height / step);
    if (this.canvas.width !== w || this.canvas.height !== hgt || !this.image) {
      this.canvas.width = w;
      this.canvas.height = hgt;
      this.image = this.ctx.createImageData(w, hgt);
    }
    const out = this.image.data;
    const cw = Math.ceil(width / 2);
    const uBase = width * height;
    const vBase = uBase + cw * Math.ceil(height / 2);
    let o = 0;
    for (let y = 0; y < hgt; y++) {
      const sy = y * step;
      const row = sy * width;
      const crow = (sy >> 1) * cw;
      for (let x = 0; x < w; x++) {
        const sx = x * step;
        const Y = data[row + sx]! - 16;
        const U = data[uBase + crow + (sx >> 1)]! - 128;
        const V = data[vBase + crow + (sx >> 1)]! - 128;
        const c = 1.164 * Y;
        out[o] = c + 1.596 * V;
        out[o + 1] = c - 0.392 * U - 0.813 * V;
        out[o + 2] = c + 2.017 * U;
        out[o + 3] = 255;
        o += 4;
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
  }
}
