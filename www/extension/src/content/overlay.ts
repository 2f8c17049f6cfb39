// The overlay: a canvas laid exactly over the video's picture (object-fit included), in the top
// layer (a popover) so it sits above the page and above a fullscreen element, and the small
// control in the video's top-left corner (on/off, factor, frame rates, state, stop): the HUD.
import { context2d, resize } from '../canvas.js';
import { type PairTimeSource, pairText } from './adaptation.js';
import type { Size } from './capture.js';
import type { EngineHandle } from './local.js';
import type { Entry, GpuSlot } from './pacing.js';
import type { Factor } from './settings.js';
import { type Rect, rectOf } from './util.js';

/** 'paused': too slow; 'error': this video failed. */
export type Mode = 'running' | 'paused' | 'error';

/** What the control's state line reports. */
export interface PanelState {
  on: boolean;
  mode: Mode;
  /** Why it paused or failed. */
  why: string;
  videoPaused: boolean;
  /** In-betweens per pair + 1 (under 2: nothing to add); only read while running. */
  factor: number;
  work: Size;
  scale: number;
  pairMs: number;
  /** Where pairMs comes from (adaptation.ts). */
  pairTimeSource: PairTimeSource;
  delayMs: number;
  /** Whether the sound is held back with the picture (audio.ts). */
  soundDelayed: boolean;
  /** Below the best setting. */
  reduced: boolean;
}

/** The state line, and whether it reports a problem; `shown`: frames are on the overlay. */
export function stateLine(p: PanelState, shown: boolean): { text: string; bad: boolean } {
  const { width, height } = p.work;
  if (!p.on) return { text: 'off: the video plays as it is', bad: false };
  if (p.mode === 'paused') return { text: `paused: ${p.why}`, bad: true };
  if (p.mode === 'error') return { text: `error: ${p.why}`, bad: true };
  if (p.videoPaused) return { text: 'waiting for the video to play', bad: false };
  if (p.factor < 2) return { text: "the video already runs at the display's rate", bad: false };
  if (!shown) return { text: `starting ×${p.factor} at ${width}x${height}…`, bad: false };
  let text =
    `×${p.factor} at ${width}x${height}, flow scale ${p.scale}, ${pairText(p.pairMs, p.pairTimeSource)}, ` +
    `${Math.round(p.delayMs)} ms behind${p.soundDelayed ? ', sound delayed to match' : ''}`;
  if (p.reduced) text += ' (reduced to keep up)';
  return { text, bad: false };
}

/** What the control's buttons ask for. */
export interface OverlayActions {
  toggle(): void;
  factor(value: Factor): void;
  close(): void;
}

const HTML = `
  <style>
    :host { all: initial; }
    .clip { position: absolute; inset: 0; overflow: hidden; pointer-events: none; }
    canvas { position: absolute; visibility: hidden; pointer-events: none; image-rendering: auto; }
    .panel { position: absolute; left: 6px; top: 6px; pointer-events: auto; display: flex; flex-wrap: wrap;
      align-items: center; gap: 4px 6px; max-width: 380px; padding: 4px 6px; border-radius: 6px;
      background: rgba(20, 22, 30, 0.78); color: #eef; font: 11px/1.3 system-ui, sans-serif; opacity: 0.85; }
    .panel:hover { opacity: 1; }
    /* Compact until hovered: name and frame rates, plus the state when something is wrong. */
    .panel:not(:hover):not(:focus-within) .ctl { display: none; }
    .panel:not(:hover):not(:focus-within) .state:not(.bad) { display: none; }
    button, select { font: inherit; color: inherit; background: rgba(255,255,255,0.12); border: 1px solid rgba(255,255,255,0.25);
      border-radius: 4px; padding: 1px 5px; cursor: pointer; }
    button.on { background: #2a7fff; border-color: #2a7fff; }
    .name { font-weight: 600; }
    .state { flex-basis: 100%; color: #bcd; }
    .state.bad { color: #fb8; }
  </style>
  <div class="clip"><canvas></canvas></div>
  <div class="panel" role="group" aria-label="inbetween">
    <span class="name">inbetween</span>
    <button class="ctl toggle on" title="Interpolation on or off">on</button>
    <select class="ctl factor" title="Frames shown per video frame">
      <option value="auto">display rate</option>
      <option value="2">×2</option>
      <option value="3">×3</option>
      <option value="4">×4</option>
    </select>
    <span class="fps" title="Frames per second: shown ← from the video">– fps</span>
    <button class="ctl close" title="Stop inbetween on this page">✕</button>
    <div class="state"></div>
  </div>`;

/** WebGPU canvases per overlay for the in-process engine's in-betweens: enough for the pairs
 * waiting to be shown at ×8 (7 each), with the one on screen. */
const MAX_SLOTS = 16;

/** One of the overlay's WebGPU canvases: the in-process engine draws an in-between into it when
 * the pair is ready, and the overlay shows it (it is laid over the 2D canvas, hidden until then)
 * when its moment comes. No pixel is read back. */
export class Slot implements GpuSlot {
  busy = true;
  constructor(
    readonly el: HTMLCanvasElement,
    /** The engine's handle to the canvas (`Engine.attachCanvas`). */
    readonly target: EngineHandle,
  ) {}
  release(): void {
    this.busy = false;
  }
}

/** Our clicks and keys must not reach the page's handlers (a click-to-pause player, say). */
const SWALLOWED = [
  'click',
  'pointerdown',
  'pointerup',
  'mousedown',
  'mouseup',
  'dblclick',
  'keydown',
  'keyup',
  'wheel',
];

export class Overlay {
  private readonly host = document.createElement('div');
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly panel: HTMLElement;
  private readonly ui: { toggle: HTMLElement; factor: HTMLSelectElement; fps: HTMLElement; state: HTMLElement };
  /** Scratch canvas for scaling an in-between up to the overlay's size. */
  private readonly scratch = new OffscreenCanvas(1, 1);
  private readonly scratchCtx = context2d(this.scratch, { colorSpace: 'srgb' });
  /** The in-process engine's canvases (see Slot), made as needed. */
  private readonly slots: Slot[] = [];
  /** The canvas that shows the current frame: the 2D one or a slot's. */
  private current: HTMLCanvasElement;
  /** The overlay's resolution at the last draw. */
  private size: Size = { width: 1, height: 1 };
  private canvasVisible: boolean | undefined;
  private styleKey = '';
  private styleAge = 0;
  private computed: {
    left: number;
    right: number;
    top: number;
    bottom: number;
    fit: string;
    hidden: boolean;
  } | null = null;
  /** The video's picture within its content box, CSS pixels (after place()). */
  pictureRect: Rect | null = null;

  constructor(factor: string, actions: OverlayActions) {
    const host = this.host;
    // `all: initial` shields the host from the page's styles; the popover puts it in the top
    // layer, above the page and above a fullscreen element (see restack).
    host.style.cssText =
      'all: initial; position: fixed; display: block; margin: 0; padding: 0; border: 0; ' +
      'background: transparent; overflow: visible; pointer-events: none; z-index: 2147483647; inset: auto;';
    const root = host.attachShadow({ mode: 'closed' });
    root.innerHTML = HTML;
    const find = <E extends Element>(selector: string) => root.querySelector(selector) as E;
    this.canvas = find<HTMLCanvasElement>('canvas');
    this.current = this.canvas;
    // GPU-backed (no willReadFrequently): it only receives pixels; tests read it rarely.
    this.ctx = context2d(this.canvas, { colorSpace: 'srgb' });
    this.panel = find<HTMLElement>('.panel');
    this.ui = {
      toggle: find<HTMLElement>('.toggle'),
      factor: find<HTMLSelectElement>('.factor'),
      fps: find<HTMLElement>('.fps'),
      state: find<HTMLElement>('.state'),
    };
    this.ui.factor.value = factor;
    for (const type of SWALLOWED) this.panel.addEventListener(type, (e) => e.stopPropagation());
    this.ui.toggle.addEventListener('click', () => actions.toggle());
    this.ui.factor.addEventListener('change', () =>
      actions.factor(this.ui.factor.value === 'auto' ? 'auto' : Number(this.ui.factor.value)),
    );
    find<HTMLElement>('.close').addEventListener('click', () => actions.close());
    document.documentElement.append(host);
    this.showHost();
  }

  get visible(): boolean {
    return this.canvasVisible === true;
  }

  setFactor(value: string): void {
    this.ui.factor.value = value;
  }

  setOn(on: boolean): void {
    this.ui.toggle.textContent = on ? 'on' : 'off';
    this.ui.toggle.classList.toggle('on', on);
  }

  setPanel(fps: string, state: PanelState): void {
    const { text, bad } = stateLine(state, this.visible);
    this.ui.fps.textContent = fps;
    this.ui.state.textContent = text;
    this.ui.state.classList.toggle('bad', bad);
  }

  /** Lays the host over the video's content box and the canvas over its picture (object-fit). */
  place(v: HTMLVideoElement): void {
    const r = v.getBoundingClientRect();
    // Computed style is costly to read every frame; borders and fit rarely change.
    if (!this.computed || ++this.styleAge > 30) {
      const cs = getComputedStyle(v);
      const px = (p: string) => parseFloat(cs.getPropertyValue(p)) || 0;
      this.computed = {
        left: px('border-left-width') + px('padding-left'),
        right: px('border-right-width') + px('padding-right'),
        top: px('border-top-width') + px('padding-top'),
        bottom: px('border-bottom-width') + px('padding-bottom'),
        fit: cs.objectFit,
        hidden: cs.visibility === 'hidden' || cs.display === 'none',
      };
      this.styleAge = 0;
    }
    const b = this.computed;
    const box = {
      x: r.left + b.left,
      y: r.top + b.top,
      w: r.width - b.left - b.right,
      h: r.height - b.top - b.bottom,
    };
    const vw = v.videoWidth || 1;
    const vh = v.videoHeight || 1;
    let sx: number;
    let sy: number;
    switch (b.fit) {
      case 'fill':
        sx = box.w / vw;
        sy = box.h / vh;
        break;
      case 'cover':
        sx = sy = Math.max(box.w / vw, box.h / vh);
        break;
      case 'none':
        sx = sy = 1;
        break;
      case 'scale-down':
        sx = sy = Math.min(1, box.w / vw, box.h / vh);
        break;
      default:
        sx = sy = Math.min(box.w / vw, box.h / vh); // contain, the default for <video>
    }
    // object-position is centred by default; pages rarely change it for video.
    const pic = { x: (box.w - vw * sx) / 2, y: (box.h - vh * sy) / 2, width: vw * sx, height: vh * sy };
    this.pictureRect = pic;
    const hidden = b.hidden || box.w < 2 || box.h < 2;
    const key = hidden
      ? 'hidden'
      : [box.x, box.y, box.w, box.h, pic.x, pic.y, pic.width, pic.height].map((n) => n.toFixed(1)).join(',');
    if (key === this.styleKey) return;
    this.styleKey = key;
    if (hidden) {
      this.host.style.display = 'none';
      return;
    }
    const hs = this.host.style;
    hs.display = 'block';
    hs.left = `${box.x}px`;
    hs.top = `${box.y}px`;
    hs.width = `${box.w}px`;
    hs.height = `${box.h}px`;
    for (const c of [this.canvas, ...this.slots.map((s) => s.el)]) this.placeCanvas(c);
  }

  private placeCanvas(c: HTMLCanvasElement): void {
    const pic = this.pictureRect;
    if (!pic) return;
    const cs = c.style;
    cs.left = `${pic.x}px`;
    cs.top = `${pic.y}px`;
    cs.width = `${pic.width}px`;
    cs.height = `${pic.height}px`;
  }

  /** A free WebGPU canvas for one in-between (`attach` hands a new one to the engine), or null
   * when all are taken (the pair is then dropped). */
  slot(attach: (canvas: OffscreenCanvas) => EngineHandle): Slot | null {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return free;
    }
    if (this.slots.length >= MAX_SLOTS) return null;
    const el = document.createElement('canvas');
    this.placeCanvas(el);
    this.canvas.after(el);
    const slot = new Slot(el, attach(el.transferControlToOffscreen()));
    this.slots.push(slot);
    return slot;
  }

  /** Makes `el` the canvas that shows (the others hidden). */
  private showOn(el: HTMLCanvasElement): void {
    if (el === this.current) return;
    if (this.canvasVisible) {
      el.style.visibility = 'visible';
      this.current.style.visibility = 'hidden';
    }
    this.current = el;
  }

  /** Puts `entry` on the canvas, at `size` (the overlay's resolution). */
  draw(entry: Entry, { width, height }: Size): void {
    this.size = { width, height };
    if (entry.kind === 'interp' && entry.slot) {
      // Drawn by the engine already: show its canvas (the browser scales it to the picture).
      this.showOn((entry.slot as Slot).el);
      return;
    }
    this.showOn(this.canvas);
    resize(this.canvas, width, height);
    if (entry.kind === 'source') {
      // A shown entry's bitmap is kept until it leaves the screen (pacing.ts).
      this.ctx.drawImage(entry.bitmap as ImageBitmap, 0, 0, width, height);
    } else if (!entry.image) {
      throw new Error('internal error: an in-between with neither pixels nor a canvas');
    } else if (entry.image.width === width && entry.image.height === height) {
      this.ctx.putImageData(entry.image, 0, 0);
    } else {
      resize(this.scratch, entry.image.width, entry.image.height);
      this.scratchCtx.putImageData(entry.image, 0, 0);
      this.ctx.imageSmoothingQuality = 'high';
      this.ctx.drawImage(this.scratch, 0, 0, width, height);
    }
  }

  hide(): void {
    if (this.canvasVisible !== false) {
      this.current.style.visibility = 'hidden';
      this.canvasVisible = false;
    }
  }

  show(): void {
    if (this.canvasVisible !== true) {
      this.current.style.visibility = 'visible';
      this.canvasVisible = true;
    }
  }

  private showHost(): void {
    try {
      this.host.popover = 'manual';
      this.host.showPopover();
    } catch {
      // No popover support: a fixed element with the highest z-index still covers the page,
      // though not a fullscreen element.
    }
  }

  /** The top layer is ordered by insertion: after a fullscreen change the popover must be shown
   * again to sit above the new fullscreen element. */
  restack(): void {
    try {
      if (this.host.matches(':popover-open')) this.host.hidePopover();
    } catch {
      /* not a popover */
    }
    this.showHost();
  }

  remove(): void {
    this.host.remove();
    for (const s of this.slots.splice(0)) s.target.free();
  }

  /** Where everything is, and what the control says (tests, debugging). */
  layout() {
    return {
      panel: this.ui.state.textContent,
      fps: this.ui.fps.textContent,
      hostRect: rectOf(this.host.getBoundingClientRect()),
      canvasRect: rectOf(this.current.getBoundingClientRect()),
      popoverOpen: (() => {
        try {
          return this.host.matches(':popover-open');
        } catch {
          return false;
        }
      })(),
      panelRect: rectOf(this.panel.getBoundingClientRect()),
      // Whether the control is what the user clicks at its place. Not in fullscreen: Chromium
      // makes everything outside the fullscreen element inert, top layer included.
      onTop: (() => {
        const r = this.panel.getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === this.host;
      })(),
      canvasSize: [this.current.width, this.current.height],
      /** Whether the frame on screen is on one of the in-process engine's WebGPU canvases. */
      onGpuCanvas: this.current !== this.canvas,
    };
  }

  /** The pixels on screen, read back at the overlay's resolution. A WebGPU canvas (an in-process
   * in-between at the working size) is scaled to it as the frame path draws its in-betweens
   * (high-quality smoothing); on screen the browser scales it. */
  pixels(): number[] {
    if (this.current === this.canvas) {
      return Array.from(
        this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height, { colorSpace: 'srgb' }).data,
      );
    }
    const { width, height } = this.size;
    const reader = context2d(new OffscreenCanvas(width, height), { willReadFrequently: true, colorSpace: 'srgb' });
    reader.imageSmoothingQuality = 'high';
    reader.drawImage(this.current, 0, 0, width, height);
    return Array.from(reader.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data);
  }

  /** Paints the control's background a flat magenta (or back), so a screenshot shows where it
   * is drawn, and whether above everything else. */
  mark(on: boolean): void {
    this.panel.style.background = on ? '#ff00ff' : '';
    this.panel.style.opacity = on ? '1' : '';
  }
}
