import { describe, expect, it } from 'vitest';
import { crc32, zipStored } from '../../src/ui/zip.ts';

describe('zipStored', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes entries that a reader finds through the central directory', () => {
    const a = new TextEncoder().encode('hello');
    const b = new Uint8Array(1000).map((_, i) => i & 0xff);
    const zip = zipStored([{ name: 'run-1/a.txt', bytes: a }, { name: 'b.bin', bytes: b }]);
    const view = new DataView(zip.buffer);
    const end = zip.length - 22;
    expect(view.getUint32(end, true)).toBe(0x06054b50);
    expect(view.getUint16(end + 10, true)).toBe(2);
    let at = view.getUint32(end + 16, true);
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      expect(view.getUint32(at, true)).toBe(0x02014b50);
      const nameLen = view.getUint16(at + 28, true);
      const size = view.getUint32(at + 24, true);
      const local = view.getUint32(at + 42, true);
      const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLen));
      names.push(name);
      const dataAt = local + 30 + view.getUint16(local + 26, true);
      const data = zip.subarray(dataAt, dataAt + size);
      expect(crc32(data)).toBe(view.getUint32(at + 16, true));
      at += 46 + nameLen;
    }
    expect(names).toEqual(['run-1/a.txt', 'b.bin']);
  });
});
