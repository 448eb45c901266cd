/** Node-only: a file on disk as a lazily read, seekable input (WORKERFS over a file descriptor). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { SyncReadableBlob } from './input.ts';

/** An open file usable as `mountInputFile`'s input; close it after the core is done with it. */
export interface NodeFileInput extends SyncReadableBlob {
  close(): void;
  /** Bytes read so far (to show that reads are lazy). */
  readonly bytesRead: number;
}

/** Opens `hostPath` for lazy reads by ffmpeg (no whole-file copy; seeks are just offsets). */
export function openNodeInput(hostPath: string): NodeFileInput {
  const fd = openSync(hostPath, 'r');
  const size = fstatSync(fd).size;
  const name = basename(hostPath);
  let bytesRead = 0;
  const range = (start: number, end: number): SyncReadableBlob => ({
    name,
    size: Math.max(0, end - start),
    slice: (s, e) => range(Math.min(end, start + s), Math.min(end, start + e)),
    readSync() {
      const out = new Uint8Array(Math.max(0, end - start));
      let off = 0;
      while (off < out.length) {
        const n = readSync(fd, out, off, out.length - off, start + off);
        if (n === 0) break;
        off += n;
      }
      bytesRead += off;
      return out.buffer;
    },
  });
  const whole = range(0, size);
  return {
    ...whole,
    slice: whole.slice,
    readSync: whole.readSync,
    close: () => closeSync(fd),
    get bytesRead() {
      return bytesRead;
    },
  };
}
