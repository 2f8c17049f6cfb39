// Small DOM helpers shared by the demo's sections.

/** The element with this id; a missing one is a bug in index.html, so fail loudly. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

/** A readable message for anything thrown: the library's errors already name the problem. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** 75.3 → "1:15.30"; used for the playhead, so hundredths matter when stepping frames. */
export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, '0')}`;
}

/** 95 → "1:35"; for ETAs, where fractions are noise. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Makes `zone` accept dropped files as well as clicks (the zone is the input's <label>, so a
 * click or Enter/Space on the focused input opens the picker without extra code).
 */
export function wireDropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    if (files.length > 0) onFiles(files);
    // Reset so choosing the same file again still fires 'change'.
    input.value = '';
  });
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    const files = Array.from(ev.dataTransfer?.files ?? []);
    if (files.length > 0) onFiles(files);
  });
}

/** Sizes `canvas` to the image and draws it. */
export function drawImageData(canvas: HTMLCanvasElement, image: ImageData): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gave no 2D canvas context');
  ctx.putImageData(image, 0, 0);
}

/** Points a download link at `blob`, freeing the previous object URL it held. */
export function setDownload(link: HTMLAnchorElement, blob: Blob, filename: string, label: string): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.textContent = `${label} (${formatBytes(blob.size)})`;
  link.hidden = false;
}

/** Lets the browser paint (progress text) before a long synchronous step. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}
