// The engine frame's test hooks. Only the test build has them: handle.ts calls this from a
// `TEST_HOOKS:` block, which scripts/build-extension.mjs drops from the shipped build, and this
// module with it.
import type { Interpolator } from '../../../lib/dist/index.js';
import { LIMITS } from '../messages.js';
import { bad, type Handled } from './answer.js';

/** The test hooks' requests (messages.ts's EchoRequest and LoseDeviceRequest). */
export function isTestRequest(request: Record<string, unknown>): boolean {
  return request.type === 'loseDeviceForTesting' || request.type === 'echo';
}

/** The answer to a test hook's request. */
export async function testRequest(request: Record<string, unknown>, interp: Interpolator | null): Promise<Handled> {
  if (request.type === 'loseDeviceForTesting') {
    if (!interp) throw new Error('the engine is not initialised');
    // The package's test hooks: only in the test build (scripts/build-extension.mjs).
    const { loseDevice } = await import('../../../lib/dist/testing.js');
    return [{ lost: await loseDevice(interp) }, []];
  }
  // echo: the cost of the frame hand-over alone (measured by the bench): the buffer goes back.
  if (!(request.pixels instanceof ArrayBuffer) || request.pixels.byteLength > LIMITS.maxPixels * 4) {
    throw bad('echo takes an ArrayBuffer of at most one frame');
  }
  return [{ pixels: request.pixels }, [request.pixels]];
}
