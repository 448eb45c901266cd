/** The allocations both sides of the hook can make; each writes every page so the OS sees it. */
import type { HookCommand, HookReply } from './hook-protocol.ts';

const MIB = 1024 * 1024;
const PAGE = 64 * 1024;

export class Holder {
  private held: unknown[] = [];
  private bytes = 0;

  run(cmd: HookCommand): HookReply {
    try {
      switch (cmd.op) {
        case 'arraybuffer':
          for (let i = 0; i < cmd.mib; i++) {
            const b = new ArrayBuffer(MIB);
            new Uint8Array(b).fill(1);
            this.held.push(b);
          }
          this.bytes += cmd.mib * MIB;
          break;
        case 'sab': {
          const b = new SharedArrayBuffer(cmd.mib * MIB);
          new Uint8Array(b).fill(1);
          this.held.push(b);
          this.bytes += b.byteLength;
          break;
        }
        case 'wasm': {
          const pages = (cmd.mib * MIB) / PAGE;
          const m = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: cmd.shared });
          new Uint8Array(m.buffer).fill(1);
          this.held.push(m);
          this.bytes += m.buffer.byteLength;
          break;
        }
        case 'adopt':
          this.held.push(cmd.buffer);
          break;
        case 'free':
          this.held = [];
          this.bytes = 0;
          break;
      }
      return { ok: true, held: this.bytes };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** The last shared buffer held (to hand to the other side). */
  lastShared(): SharedArrayBuffer | WebAssembly.Memory | null {
    const last = this.held.at(-1);
    return last instanceof SharedArrayBuffer || last instanceof WebAssembly.Memory ? last : null;
  }
}
