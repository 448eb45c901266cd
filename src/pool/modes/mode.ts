import type { Metrics } from '../../metrics/metrics-block.ts';
import type { AttachLinkOptions, LinkReader, LinkShared, LinkTransport, LinkWriter } from '../frame-record.ts';

/**
 * An allocation mode: how a frame's memory is obtained and how it crosses a link. One file
 * per mode in this folder, listed once in index.ts; stages never see which mode runs.
 */
export interface AllocationModeEntry {
  readonly name: string;
  /** For pickers. */
  readonly label: string;
  /** One sentence: what the mode allocates and copies per frame. */
  readonly summary: string;
  /**
   * How frames cross a link whose consumer can take messages between frames (`listens`), or
   * cannot (a worker blocked inside ffmpeg's exec receives only through shared memory).
   */
  transport(listens: boolean): LinkTransport;
  /**
   * A frame a stage passes along unchanged (LinkWriter.beginPass) out of an upstream slot link
   * travels on in that link's own slot: the downstream link needs no slot of its size.
   */
  readonly passesSlotsAlong: boolean;
  writer(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions): LinkWriter;
  reader(shared: LinkShared, metrics: Metrics, options: AttachLinkOptions): LinkReader;
}
