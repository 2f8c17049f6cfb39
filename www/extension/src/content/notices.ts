// What the extension tells the user: messages in the page's top-right corner, and their texts.
// A notice is the only trace a refusal leaves, and it goes by itself: the host element goes when
// its last notice does, so a refused page ends up exactly as it was.

/** Every sentence the extension shows, in one place. */
export const SAY = {
  noVideo: 'inbetween: no video is playing on this page. Start one, then click inbetween again.',
  starting: 'inbetween: starting (loading the model onto the GPU)…',
  drm:
    'inbetween cannot smooth this video: it is DRM-protected (Encrypted Media Extensions), ' +
    'so its pixels cannot be read. The video is unchanged.',
  crossOrigin:
    'inbetween cannot smooth this video: it comes from another site that does not allow ' +
    'reading its pixels (a cross-origin video without CORS). The video is unchanged.',
  noWebGpu: (why: string) => `inbetween needs WebGPU on a hardware GPU, and ${why}. The page is unchanged.`,
  noEngine: (e: unknown) => `inbetween could not start its engine: ${brief(e)}. The page is unchanged.`,
  stopped: (e: unknown) => `inbetween stopped: ${brief(e)}`,
  /** The engine failed mid-run; `why` is already worded. */
  failed: (why: string) => `inbetween stopped: ${why}. Click its button to start again.`,
  deviceLost: 'the GPU device was lost (a driver reset, or the GPU went away)',
};

export interface Notice {
  remove(): void;
  text: string;
}

let notices: Notices | null = null;

/** A message in the page's top-right corner; removes itself after `ms` (0: when told). */
export function notice(text: string, ms = 12_000): Notice {
  notices ??= new Notices();
  return notices.add(text, ms);
}

/** The top layer is ordered by insertion: after a fullscreen change, show the notices again. */
export function restackNotices(): void {
  notices?.restack();
}

export function noticeTexts(): string[] {
  return notices?.texts() ?? [];
}

export function clearNotices(): void {
  notices?.clear();
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An error's message for a notice: first line, no backtraces, not too long. */
export function brief(e: unknown): string {
  const line =
    messageOf(e)
      .replace(/\s*\([^)]*\n[\s\S]*?\)/g, '')
      .split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

class Notices {
  private readonly host = document.createElement('div');
  private readonly root: ShadowRoot;
  private count = 0;
  private readonly removers = new Set<() => void>();

  constructor() {
    this.host.style.cssText =
      'all: initial; position: fixed; inset: 12px 12px auto auto; margin: 0; padding: 0; border: 0; ' +
      'background: transparent; overflow: visible; z-index: 2147483647; display: flex; flex-direction: column; gap: 6px;';
    this.host.setAttribute('data-inbetween', 'notices');
    this.root = this.host.attachShadow({ mode: 'closed' });
    this.root.innerHTML = `<style>
      .n { max-width: 360px; padding: 8px 28px 8px 10px; border-radius: 6px; background: rgba(20, 22, 30, 0.92); color: #eef;
        font: 12px/1.4 system-ui, sans-serif; position: relative; box-shadow: 0 2px 8px rgba(0,0,0,0.4); margin-bottom: 6px; }
      button { position: absolute; right: 4px; top: 4px; border: 0; background: none; color: #ccd; cursor: pointer; font: inherit; }
    </style>`;
  }

  add(text: string, ms: number): Notice {
    if (!this.host.isConnected) {
      document.documentElement.append(this.host);
      try {
        this.host.popover = 'manual';
        this.host.showPopover();
      } catch {
        /* fixed + z-index is the fallback */
      }
    }
    const el = document.createElement('div');
    el.className = 'n';
    el.setAttribute('role', 'status');
    el.textContent = text;
    const close = document.createElement('button');
    close.textContent = '✕';
    close.title = 'Dismiss';
    el.append(close);
    this.root.append(el);
    this.count++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const remove = () => {
      if (!el.isConnected) return;
      clearTimeout(timer);
      el.remove();
      this.removers.delete(remove);
      if (--this.count === 0) this.host.remove();
    };
    this.removers.add(remove);
    close.addEventListener('click', (e) => {
      e.stopPropagation();
      remove();
    });
    if (ms > 0) timer = setTimeout(remove, ms);
    return { remove, text };
  }

  clear(): void {
    for (const remove of [...this.removers]) remove();
  }

  texts(): string[] {
    return [...this.root.querySelectorAll('.n')].map((n) => n.firstChild?.textContent ?? '');
  }

  restack(): void {
    if (!this.host.isConnected) return;
    try {
      if (this.host.matches(':popover-open')) this.host.hidePopover();
      this.host.showPopover();
    } catch {
      /* not a popover */
    }
  }
}
