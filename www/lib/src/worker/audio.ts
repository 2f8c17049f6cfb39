// The audio of `interpolateVideo`'s output (worker side): the first audio track of the input,
// copied or transcoded, fed to the muxer in step with the video frames.

import {
  AudioSampleSink,
  AudioSampleSource,
  EncodedAudioPacketSource,
  EncodedPacketSink,
  getFirstEncodableAudioCodec,
  type InputAudioTrack,
  type Output,
  QUALITY_HIGH,
} from '../vendor/mediabunny.js';

/**
 * Feeds the audio track to the output in step with the video (mediabunny interleaves the tracks,
 * and holding a whole track back would buffer it all): packets copied untouched when the
 * container takes the codec, else decoded and re-encoded (e.g. AAC into WebM as Opus).
 */
export class AudioPump {
  readonly mode: 'copied' | 'transcoded';
  readonly #iter: AsyncIterator<{ timestamp: number; close?: () => void }>;
  readonly #add: (item: never) => Promise<void>;
  readonly #close: () => void;
  #next: { timestamp: number; close?: () => void } | null | undefined = undefined;

  private constructor(
    mode: 'copied' | 'transcoded',
    iter: AsyncIterator<{ timestamp: number }>,
    add: (item: never) => Promise<void>,
    close: () => void,
  ) {
    this.mode = mode;
    this.#iter = iter;
    this.#add = add;
    this.#close = close;
  }

  static async create(
    track: InputAudioTrack,
    codec: string | null,
    supported: readonly string[],
    output: Output,
  ): Promise<AudioPump | null> {
    if (codec !== null && supported.includes(codec)) {
      const source = new EncodedAudioPacketSource(codec as never);
      output.addAudioTrack(source);
      const config = await track.getDecoderConfig();
      let first = true;
      return new AudioPump(
        'copied',
        new EncodedPacketSink(track).packets(),
        (async (packet: never) => {
          await source.add(packet, first && config ? { decoderConfig: config } : undefined);
          first = false;
        }) as (item: never) => Promise<void>,
        () => source.close(),
      );
    }
    if (!(await track.canDecode())) return null;
    const target = await getFirstEncodableAudioCodec(supported as never, {
      numberOfChannels: await track.getNumberOfChannels(),
      sampleRate: await track.getSampleRate(),
    });
    if (!target) return null;
    const source = new AudioSampleSource({ codec: target, bitrate: QUALITY_HIGH });
    output.addAudioTrack(source);
    return new AudioPump(
      'transcoded',
      new AudioSampleSink(track).samples(),
      (async (sample: never) => {
        await source.add(sample);
      }) as (item: never) => Promise<void>,
      () => source.close(),
    );
  }

  /** Adds every audio item that starts before `time` (s). */
  async until(time: number): Promise<void> {
    for (;;) {
      if (this.#next === undefined) {
        const r = await this.#iter.next();
        this.#next = r.done ? null : r.value;
      }
      const next = this.#next;
      if (next === null || next.timestamp >= time) return;
      try {
        await this.#add(next as never);
      } finally {
        next.close?.();
        this.#next = undefined;
      }
    }
  }

  async finish(): Promise<void> {
    await this.until(Number.POSITIVE_INFINITY);
    this.#close();
  }

  async cancel(): Promise<void> {
    this.#next?.close?.();
    this.#next = null;
    await this.#iter.return?.().catch(() => {});
  }
}
