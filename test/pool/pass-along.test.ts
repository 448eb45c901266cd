import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Metrics, StageCounter, StageGauge } from '../../src/metrics/metrics-block.ts';
import { sharedNow, StageId } from '../../src/metrics/stages.ts';
import { FrameArena, WASM_PAGE } from '../../src/pool/arena.ts';
import { PoolError } from '../../src/pool/errors.ts';
import { i420ByteLength } from '../../src/pool/frame-format.ts';
import { FramePool } from '../../src/pool/frame-pool.ts';
import {
  createLink, LinkReader, LinkWriter, passesInUpstreamSlots, PreviewReader, type AllocationMode, type LinkShared, type ReadableFrame, type WritableFrame,
} from '../../src/pool/link.ts';
import { ALLOCATION_MODES } from '../../src/pool/modes/index.ts';

/**
 * Issue 14: on the identity rung (target size = source size) the scaler passes the frame along
 * (LinkWriter.beginPass) instead of copying it. Here the real links of a run, decode → scale
 * (link A) → encode (link B, with the preview tap), driven from one thread as the stages
 * would drive them.
 */
const W = 48;
const H = 32;
const BYTES = i420ByteLength(W, H);

function twoLinks(mode: AllocationMode, capacity = 3, listening = { a: false, b: false }) {
  const arena = FrameArena.create({ initialBytes: 4 * WASM_PAGE, maxBytes: 64 * WASM_PAGE });
  const metrics = Metrics.create();
  // Slots carved before the run (the warm-up, not counted here), as a run's links are.
  const sizes = [{ width: W, height: H }];
  const linkA = createLink(arena, { name: 'decode→scale', mode, capacity, producer: StageId.decode, consumer: StageId.scale, consumerListens: listening.a, sizes });
  const linkB = createLink(arena, {
    name: 'scale→encode', mode, capacity, producer: StageId.scale, consumer: StageId.encode, preview: !listening.b, sink: true, consumerListens: listening.b, sizes, passFrom: linkA,
  });
  const portsA = linkA.transport === 'transfer' ? new MessageChannel() : null;
  const portsB = linkB.transport === 'transfer' ? new MessageChannel() : null;
  const port = (p: MessageChannel | null, side: 1 | 2) => (p === null ? {} : { port: (side === 1 ? p.port1 : p.port2) as unknown as MessagePort });
  return {
    arena, metrics, linkA, linkB,
    decoder: LinkWriter.attach(linkA, metrics, { arena, ...port(portsA, 1) }),
    scaleIn: LinkReader.attach(linkA, metrics, { arena, ...port(portsA, 2) }),
    scaleOut: LinkWriter.attach(linkB, metrics, { arena, ...port(portsB, 1) }),
    encoder: LinkReader.attach(linkB, metrics, { arena, ...port(portsB, 2) }),
    pool: (link: LinkShared) => FramePool.attach(link.pool, null, { countReuse: false, arena }),
    close: () => { portsA?.port1.close(); portsA?.port2.close(); portsB?.port1.close(); portsB?.port2.close(); },
  };
}

type Links = ReturnType<typeof twoLinks>;

/** Decode: a frame whose every byte is `index`; returns the bytes it wrote into (its slot or its buffer). */
function decode(l: Links, index: number): Uint8Array {
  const f = l.decoder.begin(W, H, 1000);
  if (f === 'timeout') throw new Error('decoder: no room');
  f.data.fill(index & 255);
  f.frameIndex = index;
  f.ptsUs = index * 40_000;
  const written = f.data;
  expect(l.decoder.commit(f, 1000)).toBe('ok');
  return written;
}

async function take(reader: LinkReader): Promise<ReadableFrame> {
  const f = reader.blocking ? reader.next(1000) : await reader.nextAsync(1000);
  if (typeof f === 'string') throw new Error(`next: ${f}`);
  return f;
}

/** Scale at the identity rung, as the scale stage does it: pass, copy the meta, commit, done. */
async function passOne(l: Links): Promise<{ input: Uint8Array; output: WritableFrame }> {
  const input = await take(l.scaleIn);
  const data = input.data;
  const output = l.scaleOut.beginPass(input, l.scaleIn);
  output.frameIndex = input.frameIndex;
  output.ptsUs = input.ptsUs;
  output.stamps.set(input.stamps);
  expect(output.data).toBe(data); // no buffer of its own
  expect(l.scaleOut.commit(output, 1000)).toBe('ok');
  l.scaleIn.done(input);
  return { input: data, output };
}

const counts = (m: Metrics, stage: StageId) => ({
  allocations: m.counter(stage, StageCounter.allocations),
  copied: m.gauge(stage, StageGauge.bytesCopied),
  acquires: m.counter(stage, StageCounter.poolHits) + m.counter(stage, StageCounter.poolMisses),
});

describe('pooled: the identity frame passes along in its own slot', () => {
  it('the encoder reads the very bytes the decoder wrote (same memory), nothing is allocated, copied or taken from link B', async () => {
    const l = twoLinks('pooled');
    const written = decode(l, 7);
    await passOne(l);
    const frame = await take(l.encoder);
    expect(frame.frameIndex).toBe(7);
    expect(frame.ptsUs).toBe(7 * 40_000);
    expect(frame.stamps[StageId.decode]).toBeGreaterThan(0);
    expect(frame.stamps[StageId.scale]).toBeGreaterThan(0);
    expect(frame.data.byteLength).toBe(BYTES);
    expect(frame.data.byteOffset).toBe(written.byteOffset);
    // Same memory, not equal bytes: a byte the decoder's view changes now is seen by the encoder.
    written[BYTES - 1] = 200;
    expect(frame.data[BYTES - 1]).toBe(200);
    for (const stage of [StageId.scale, StageId.encode]) expect(counts(l.metrics, stage)).toEqual({ allocations: 0, copied: 0, acquires: 0 });
    expect(l.pool(l.linkB).stats().heldSlots).toBe(0);
    // Held by the encoder (and the preview tap) in link A's pool, and the leak detector says so.
    const leaks = l.pool(l.linkA).findLeaks(sharedNow(), -Infinity);
    expect(leaks.map((k) => `${k.stageName} ${k.frameIndex}`).sort()).toEqual(['encode 7', 'preview 7']);
    l.encoder.done(frame);
    expect(l.pool(l.linkA).stats().heldSlots).toBe(1); // the preview tap's reference, until it is taken
    PreviewReader.attach(l.linkB, l.metrics, { arena: l.arena }).clear();
    expect(l.pool(l.linkA).stats().heldSlots).toBe(0);
  });

  it('the preview tap reads the passed slot in place; the slot goes back only when the encoder and the preview are both done', async () => {
    const l = twoLinks('pooled');
    const preview = PreviewReader.attach(l.linkB, l.metrics, { arena: l.arena });
    const written = decode(l, 3);
    await passOne(l);
    const shown = preview.take();
    expect(shown).not.toBeNull();
    expect(shown!.data.byteOffset).toBe(written.byteOffset);
    expect(shown!.frameIndex).toBe(3);
    const frame = await take(l.encoder);
    l.encoder.done(frame);
    expect(l.pool(l.linkA).stats().heldSlots).toBe(1);
    preview.release(shown!);
    expect(l.pool(l.linkA).stats().heldSlots).toBe(0);
    // A passed frame replaced in the mailbox before it was shown is let go there.
    decode(l, 4);
    decode(l, 5);
    await passOne(l);
    await passOne(l);
    for (let i = 0; i < 2; i++) l.encoder.done(await take(l.encoder));
    expect(l.pool(l.linkA).stats().heldSlots).toBe(1);
    expect(preview.take()!.frameIndex).toBe(5);
  });

  it('a slot passed on counts against link A\'s capacity: the decoder waits until the encoder lets one go', async () => {
    const l = twoLinks('pooled', 2);
    decode(l, 0);
    decode(l, 1);
    await passOne(l);
    await passOne(l);
    expect(l.decoder.begin(W, H, 20)).toBe('timeout'); // both of A's slots sit in link B
    PreviewReader.attach(l.linkB, l.metrics, { arena: l.arena }).clear();
    expect(l.decoder.begin(W, H, 20)).toBe('timeout'); // the preview's ref is gone, the encoder's are not
    l.encoder.done(await take(l.encoder));
    const f = l.decoder.begin(W, H, 1000);
    expect(f).not.toBe('timeout');
  });

  it('abort gives a passed slot back to link A, before and after its hand-over', async () => {
    const l = twoLinks('pooled', 2);
    const a = l.pool(l.linkA);
    // Before commit: the scaler's reference.
    decode(l, 0);
    let input = await take(l.scaleIn);
    let output = l.scaleOut.beginPass(input, l.scaleIn);
    l.scaleIn.done(input); // only recycles the record: the slot is the output's now
    expect(a.stats().heldSlots).toBe(1);
    l.scaleOut.abort(output);
    expect(a.stats().heldSlots).toBe(0);
    // Handed over (the encoder's and the preview's references), then the push times out on a
    // full link B (three frames of its own) and the run stops.
    for (let i = 0; i < 3; i++) {
      const own = l.scaleOut.begin(W, H, 1000);
      if (own === 'timeout') throw new Error('no room in link B');
      expect(l.scaleOut.commit(own, 1000)).toBe('ok');
    }
    decode(l, 1);
    input = await take(l.scaleIn);
    output = l.scaleOut.beginPass(input, l.scaleIn);
    output.frameIndex = 1;
    expect(l.scaleOut.commit(output, 0)).toBe('timeout');
    l.scaleOut.abort(output);
    l.scaleIn.done(input);
    expect(a.findLeaks(sharedNow(), -Infinity).map((k) => k.stageName)).toEqual(['preview']);
    PreviewReader.attach(l.linkB, l.metrics, { arena: l.arena }).clear();
    expect(a.stats().heldSlots).toBe(0);
  });

  it('a dead encoder\'s passed slots, taken or still queued, are named as its own and reclaimed', async () => {
    const l = twoLinks('pooled', 2);
    const a = l.pool(l.linkA);
    decode(l, 0);
    decode(l, 1);
    await passOne(l);
    await passOne(l);
    await take(l.encoder); // frame 0 taken, frame 1 still queued; then the encoder dies
    const leaks = a.findLeaks(sharedNow(), -Infinity).map((k) => `${k.stageName} ${k.frameIndex}`).sort();
    expect(leaks).toEqual(['encode 0', 'encode 1', 'preview 1']);
    expect(a.reclaimHeldBy(StageId.encode)).toBe(2);
    PreviewReader.attach(l.linkB, l.metrics, { arena: l.arena }).clear();
    expect(a.stats().heldSlots).toBe(0);
  });

  it('refuses a frame that is not a slot of its upstream link, and a handle once released is stale', async () => {
    const l = twoLinks('pooled');
    const arena = l.arena;
    const loose = createLink(arena, { name: 'loose', mode: 'pooled', capacity: 2, producer: StageId.scale, consumer: StageId.encode });
    const writer = LinkWriter.attach(loose, l.metrics, { arena });
    decode(l, 0);
    const input = await take(l.scaleIn);
    expect(() => writer.beginPass(input, l.scaleIn)).toThrow(PoolError);
    const output = l.scaleOut.beginPass(input, l.scaleIn);
    expect(l.scaleOut.commit(output, 1000)).toBe('ok');
    l.scaleIn.done(input);
    const frame = await take(l.encoder);
    l.encoder.done(frame);
    PreviewReader.attach(l.linkB, l.metrics, { arena }).clear();
    expect(() => l.encoder.done(frame)).toThrow(PoolError);
    expect(l.pool(l.linkA).stats().heldSlots).toBe(0);
  });
});

describe('unpooled: the decoded buffer itself goes on', () => {
  it('into a worker blocked in exec: no buffer of the scaler\'s own, the one copy into the shared slot', async () => {
    const l = twoLinks('unpooled', 3, { a: true, b: false });
    try {
      expect(l.linkA.transport).toBe('transfer');
      expect(l.linkB.transport).toBe('slots');
      for (let i = 0; i < 5; i++) {
        decode(l, i);
        await passOne(l);
        const frame = await take(l.encoder);
        expect(frame.frameIndex).toBe(i);
        expect(frame.data.every((b) => b === i)).toBe(true);
        l.encoder.done(frame);
      }
      expect(counts(l.metrics, StageId.decode)).toMatchObject({ allocations: 5, copied: 0 });
      expect(counts(l.metrics, StageId.scale)).toMatchObject({ allocations: 0, copied: 5 * BYTES });
      expect(counts(l.metrics, StageId.encode)).toMatchObject({ allocations: 0, copied: 0 });
    } finally {
      l.close();
    }
  });

  it('to a consumer with an event loop: the decoded buffer is moved on, neither copied nor allocated again', async () => {
    const l = twoLinks('unpooled', 3, { a: true, b: true });
    try {
      expect(l.linkB.transport).toBe('transfer');
      for (let i = 0; i < 3; i++) decode(l, i);
      for (let i = 0; i < 3; i++) {
        const { input } = await passOne(l);
        expect(input.byteLength).toBe(0); // transferred: this thread no longer has it
        const frame = await take(l.encoder);
        expect(frame.data.every((b) => b === i)).toBe(true);
        l.encoder.done(frame);
      }
      expect(counts(l.metrics, StageId.decode)).toMatchObject({ allocations: 3, copied: 0 });
      expect(counts(l.metrics, StageId.scale)).toMatchObject({ allocations: 0, copied: 0 });
    } finally {
      l.close();
    }
  });
});

describe('passesInUpstreamSlots: what a run carves for link B on (run-memory.ts)', () => {
  for (const { name: mode } of ALLOCATION_MODES) {
    for (const listens of [false, true]) {
      it(`${mode}, link A's consumer ${listens ? 'listening' : 'blocked'}: true exactly when the encoder reads a passed frame in the decoder's slot`, async () => {
        const l = twoLinks(mode, 3, { a: listens, b: false });
        try {
          const written = decode(l, 9);
          const writtenIn = { buffer: written.buffer, offset: written.byteOffset }; // before a transfer detaches it
          await passOne(l);
          const frame = await take(l.encoder);
          expect(frame.data.every((b) => b === 9)).toBe(true);
          const inDecoderSlot = l.linkA.transport === 'slots' && frame.data.buffer === writtenIn.buffer && frame.data.byteOffset === writtenIn.offset;
          // A mode that says so may leave link B without a slot of this size: it must never need one.
          expect(passesInUpstreamSlots(mode, listens)).toBe(inDecoderSlot);
          l.encoder.done(frame);
        } finally {
          l.close();
        }
      });
    }
  }
});
