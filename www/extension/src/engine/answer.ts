// What a request handler gives back: a result and what to transfer with it, or an EngineError.
import type { ResultOf } from '../messages.js';

export type Handled = [ResultOf[keyof ResultOf], Transferable[]];

/** A failure with the engine's own code (messages.ts's EngineErrorCode). */
export class EngineError extends Error {
  constructor(
    readonly code: 'no-webgpu' | 'software-webgpu' | 'bad-request',
    message: string,
  ) {
    super(message);
  }
}

export const bad = (message: string) => new EngineError('bad-request', message);
