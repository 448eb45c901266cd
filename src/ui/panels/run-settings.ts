/**
 * The Run panel's settings: codec backend, allocation mode, codec, pacing and live policy,
 * switching, frames in flight, and each backend's own controls. Reads them as RunSettings and
 * keeps each control enabled or shown only where it applies.
 */
import type { LadderRung } from '../../pipeline/ladder.ts';
import { h } from '../dom.ts';
import type { AllocationModeChoice, RunSettings } from '../engine.ts';
import { runControls, scheduleFrom, syncCodecOptions } from './input.ts';

export class RunSettingsPanel {
  private readonly c = runControls();
  readonly element: HTMLElement;

  constructor() {
    const c = this.c;
    this.element = h('div', { class: 'grid2' },
      h('label', {}, 'Codec backend', c.backend),
      h('label', {}, 'Allocation', c.mode),
      h('label', {}, 'Codec', c.codec),
      h('label', {}, 'Pacing', c.pacing),
      h('label', {}, 'When encoders fall behind', c.livePolicy),
      h('label', {}, 'Switching', c.switching),
      h('label', { class: 'every' }, 'Every N frames', c.everyN),
      h('label', { class: 'seed' }, 'Storm seed', c.seed),
      h('label', {}, 'Frames in flight', c.framesInFlight),
      h('label', { class: 'ffmpeg-only' }, 'Encoders', c.encoders),
      h('label', { class: 'webcodecs-only' }, 'Hold decoded frames', c.holdFrames),
      h('label', { class: 'webcodecs-only' }, 'Encoder at a switch', c.encoderSwitch),
    );
  }

  /** Calls `listener` when a choice that shows or hides other controls changes. */
  onChange(listener: () => void): void {
    for (const control of [this.c.switching, this.c.backend, this.c.pacing]) control.addEventListener('change', listener);
  }

  read(startRung: LadderRung): RunSettings {
    const c = this.c;
    return {
      mode: c.mode.value as AllocationModeChoice,
      framesInFlight: Math.min(16, Math.max(2, Math.round(Number(c.framesInFlight.value)) || 6)),
      encoders: c.encoders.value === '1' ? 1 : 2,
      codec: c.codec.value as RunSettings['codec'],
      backend: c.backend.value as RunSettings['backend'],
      webcodecs: {
        holdDecodedFrames: Math.min(32, Math.max(0, Math.round(Number(c.holdFrames.value)) || 0)),
        encoderSwitch: c.encoderSwitch.value === 'reconfigure' ? 'reconfigure' : 'new-encoder',
      },
      pacing: c.pacing.value as RunSettings['pacing'],
      livePolicy: c.pacing.value === 'realtime' && c.livePolicy.value === 'drop' ? 'drop' : 'block',
      schedule: scheduleFrom(c.switching.value, c.everyN.value, c.seed.value),
      startRung,
    };
  }

  /** Locks every control while a run goes; shows each only where it applies. */
  sync(running: boolean): void {
    const c = this.c;
    for (const control of [c.backend, c.mode, c.codec, c.pacing, c.switching, c.everyN, c.seed, c.framesInFlight, c.encoders, c.holdFrames, c.encoderSwitch]) control.disabled = running;
    c.livePolicy.disabled = running || c.pacing.value !== 'realtime'; // max speed always blocks
    const webcodecs = c.backend.value === 'webcodecs';
    c.encoders.closest('label')!.hidden = webcodecs;
    for (const control of [c.holdFrames, c.encoderSwitch]) control.closest('label')!.hidden = !webcodecs;
    syncCodecOptions(c.codec, c.backend.value as RunSettings['backend']);
    c.everyN.closest('label')!.hidden = c.switching.value === 'manual';
    c.seed.closest('label')!.hidden = c.switching.value !== 'storm';
  }
}
