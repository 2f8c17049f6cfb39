// Error kinds, as stable codes. The engine's own errors get their code in crate/wasm, from the
// Rust core's error enum (`inbetween::Error::code`), and keep it across the worker boundary;
// errors the package makes itself (a crashed engine, a dead worker) get theirs here. Nothing
// recognises an error by its message: messages are for people and may change.

/** Every code an Error from the package can carry (`error.code`). */
export const ERROR_CODES = [
  // From the engine (crate/core's and crate/gpu's error enums, through crate/wasm).
  'size-mismatch', // the two frames differ in size
  'bad-image', // pixel buffer of the wrong length, an empty image, an unsupported channel count
  'image-too-large', // a side over the engine's limit
  'out-of-memory', // the work would not fit in the engine's memory (refused before it starts)
  'too-many-timesteps', // the output of one call would be too large
  'bad-time', // t, a time map or a time map's length out of range
  'bad-scale', // scale out of range, or frames prepared at different scales
  'bad-model', // the model file is not a valid inbetween model (or does not fit the GPU kernels)
  'gpu', // WebGPU failed: no adapter or device, a feature it lacks, an operation it refused
  'device-lost', // the GPU device was lost: the interpolator closes
  'backend', // any other failure inside the engine
  // From the package.
  'engine-crashed', // the wasm instance trapped (most likely out of memory): the interpolator closes
  'worker-died', // the worker crashed, failed to load, or was killed: the interpolator closes
  'disposed', // the interpolator (or sequence) was disposed or closed
  'video-unreadable', // not a video this browser can read, damaged, truncated, or no video track
  'video-unsupported', // a codec this browser cannot decode or encode
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** `error` with its `code` set (the class and message stay: a TypeError stays a TypeError). */
export function withCode<E extends Error>(error: E, code: ErrorCode | undefined): E & { code?: ErrorCode } {
  if (code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true });
  return error;
}

/** An Error with `code`. */
export function codedError(message: string, code: ErrorCode): Error & { code: ErrorCode } {
  return withCode(new Error(message), code) as Error & { code: ErrorCode };
}

/** The code on `e`, if it has one of ours (an Error from the wasm module or an InbetweenError). */
export function codeOf(e: unknown): ErrorCode | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)
    ? (code as ErrorCode)
    : undefined;
}
