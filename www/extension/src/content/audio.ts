// The sound held back by as much as the picture (issue 10, item 2: "correct for the delay where
// the platform allows it"). The overlay trails the video's clock by the pacer's `delayMs`
// (pacing.ts); the video's own sound does not. Where it is safe, the element's audio is routed
// through a Web Audio DelayNode that follows that delay, so sound and overlay stay in step.
//
// Where it is safe, and why only there:
// - `createMediaElementSource` takes the element's sound for good: it cannot be given back, and
//   an element takes only one such node in its life (a second call throws). So one router per
//   element, kept across sessions (`routerFor`); a session that ends sets the delay to 0.
// - A cross-origin source fetched without CORS is "tainted": Chromium then feeds the graph
//   silence, and the page would go quiet with no way back. Nothing reports taint, so the router
//   is attached only to sources that cannot be tainted: `blob:` and `data:` URLs (Media Source
//   Extensions, as most streaming sites use, and in-memory files: their bytes were readable to
//   the page) and elements loaded in CORS mode (`crossorigin`: a load without CORS would fail
//   instead of playing). A plain same-origin URL could still redirect to another origin, so it
//   is left alone, as are MediaStreams (`srcObject`: calls and cameras).
// - The AudioContext must be running (the autoplay policy may hold it suspended); routing into a
//   suspended context would silence the video, so the router only attaches once it runs.
// - The element's own volume and mute still apply (Web Audio spec, MediaElementAudioSourceNode).
// - A later source change to an unsafe URL on the same element (rare: players that swap `src`)
//   may be silenced; a router that sees one keeps its delay at 0, and the README says so.
//
// The delay follows the picture's at most 10% of real time (`SLOPE`): a DelayNode's changing
// delay shifts pitch by its rate of change, and 10% is what the pacer allows the picture when it
// catches up (1.1x for a moment).

/** How fast the sound's delay may change, seconds per second (its pitch shifts by as much). */
const SLOPE = 0.1;
/** The sound's longest delay, s: far more than any `maxDelayMs` worth allowing in real time
 * (the picture trailing by 2 s would be a poor show anyway). The DelayNode's buffer is
 * allocated at once: 2 s of stereo at 48 kHz is 768 KB. */
export const MAX_DELAY_S = 2;
/** Delay changes smaller than this are not worth a ramp, s. */
const EPSILON_S = 0.002;

/** Why a video's sound is not delayed, or null when it is. */
export function unsafeSource(video: HTMLMediaElement): string | null {
  if (video.srcObject) return 'a MediaStream source';
  const src = video.currentSrc;
  if (!src) return 'no source yet';
  if (src.startsWith('blob:') || src.startsWith('data:')) return null;
  if (video.crossOrigin !== null && /^https?:/.test(src)) return null;
  return 'a plain URL (it might be cross-origin, and Web Audio would then silence it)';
}

export class AudioRouter {
  private target = 0;

  private constructor(
    private readonly video: HTMLMediaElement,
    private readonly ctx: AudioContext,
    private readonly source: MediaElementAudioSourceNode,
    private readonly delay: DelayNode,
  ) {}

  /** Routes `video`'s sound through a DelayNode, or says why not. */
  static async attach(video: HTMLMediaElement): Promise<AudioRouter | string> {
    const why = unsafeSource(video);
    if (why) return why;
    let ctx: AudioContext;
    try {
      ctx = new AudioContext({ latencyHint: 'playback' });
    } catch (e) {
      return `no AudioContext (${e instanceof Error ? e.message : String(e)})`;
    }
    // resume() stays pending while the autoplay policy holds the context: give it a moment.
    await Promise.race([ctx.resume().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
    if (ctx.state !== 'running') {
      ctx.close().catch(() => {});
      return 'the page may not start audio yet (autoplay policy)';
    }
    let source: MediaElementAudioSourceNode;
    try {
      // Throws when the page (or anyone) already made one for this element.
      source = ctx.createMediaElementSource(video);
    } catch (e) {
      ctx.close().catch(() => {});
      return `the page routes this video's sound itself (${e instanceof Error ? e.name : String(e)})`;
    }
    const delay = ctx.createDelay(MAX_DELAY_S);
    source.connect(delay).connect(ctx.destination);
    return new AudioRouter(video, ctx, source, delay);
  }

  /** The delay the sound has now (the DelayNode's current value), ms. */
  get delayMs(): number {
    return this.delay.delayTime.value * 1000;
  }

  /** The delay the sound is heading for, ms. */
  get targetMs(): number {
    return this.target * 1000;
  }

  /** For the tests: the sound before the delay and after it. */
  get taps(): { input: AudioNode; output: AudioNode } {
    return { input: this.source, output: this.delay };
  }

  get context(): AudioContext {
    return this.ctx;
  }

  /** Heads for `ms` of delay, at `SLOPE`. Called on every display frame with the picture's. */
  follow(ms: number): void {
    // After a change to a source that is not safe (see the header), no delay: the sound may be
    // lost to taint, but it is not held back as well.
    const safe = unsafeSource(this.video) === null;
    const to = safe ? Math.min(MAX_DELAY_S, Math.max(0, ms / 1000)) : 0;
    if (Math.abs(to - this.target) < EPSILON_S) return;
    this.target = to;
    const p = this.delay.delayTime;
    const now = this.ctx.currentTime;
    // From wherever the running ramp has got to, a new straight ramp to the new target.
    p.cancelAndHoldAtTime(now);
    const from = p.value;
    p.linearRampToValueAtTime(to, now + Math.abs(to - from) / SLOPE);
  }
}

/** One router per element for its life (see the header), or why there is none. */
const routers = new WeakMap<HTMLMediaElement, Promise<AudioRouter | string>>();

export function routerFor(video: HTMLMediaElement): Promise<AudioRouter | string> {
  let r = routers.get(video);
  if (!r) {
    r = AudioRouter.attach(video);
    // A refusal is not kept: the source or the autoplay state may change by the next session.
    r.then((v) => {
      if (typeof v === 'string') routers.delete(video);
    });
    routers.set(video, r);
  }
  return r;
}
