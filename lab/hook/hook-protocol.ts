/** Messages between the test hook page and its worker. */
export type HookCommand =
  /** `mib` separate 1 MiB ArrayBuffers, every page written. */
  | { op: 'arraybuffer'; mib: number }
  /** One SharedArrayBuffer of `mib` MiB, written; kept (and `share`d with the other side if asked). */
  | { op: 'sab'; mib: number }
  /** One WebAssembly.Memory of `mib` MiB, written. */
  | { op: 'wasm'; mib: number; shared: boolean }
  /** Keep a buffer sent from the other side. */
  | { op: 'adopt'; buffer: SharedArrayBuffer | WebAssembly.Memory }
  /** Drop every reference (the collector may then take them). */
  | { op: 'free' };

export type HookReply = { ok: true; held: number } | { ok: false; error: string };
