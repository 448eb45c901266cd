import { StageId } from '../metrics/stages.ts';
import type { ControlBlock } from './control-block.ts';
import type { StageKind } from './stage-protocol.ts';

const STAGE_KINDS: readonly StageKind[] = ['decode', 'scale', 'encode'];

/**
 * Every few hundred ms, reads the progress counter (control block) of each stage `watched`
 * says to watch; a counter unchanged for `stallMs` calls `onStall` once, naming that stage.
 * Waiting on a neighbour and reading input count as progress (the stages beat then), so the
 * stage named is the one everyone waits for. Returns a stop function.
 */
export function startWatchdog(control: ControlBlock, stallMs: number, watched: (kind: StageKind) => boolean, onStall: (kind: StageKind) => void): () => void {
  const seen = new Map<StageKind, { count: number; since: number }>();
  const timer = setInterval(() => {
    const now = performance.now();
    for (const kind of STAGE_KINDS) {
      if (!watched(kind)) {
        seen.delete(kind);
        continue;
      }
      const count = control.progress(StageId[kind]);
      const last = seen.get(kind);
      if (!last || last.count !== count) {
        seen.set(kind, { count, since: now });
      } else if (now - last.since >= stallMs) {
        clearInterval(timer);
        onStall(kind);
        return;
      }
    }
  }, Math.max(20, Math.min(250, stallMs / 8)));
  return () => clearInterval(timer);
}
