// The paged output sink of interpolateVideo (www/lib/src/worker/paged-sink.ts) in plain Node: writes
// at any position, including back-patches into pages already handed to Blob storage, must give
// exactly the file a flat buffer would; and a long sequential file must keep only a few pages
// in memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAGE_BYTES, PagedSink } from '../../www/lib/dist/worker/paged-sink.js';

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

test('random writes and back-patches give the same bytes as a flat buffer', async () => {
  const rand = rng(7);
  const size = Math.floor(PAGE_BYTES * 5.5);
  const want = new Uint8Array(size);
  const sink = new PagedSink();
  let end = 0;
  // Mostly appends of muxer-like sizes, with a patch into the past now and then.
  while (end < size) {
    const back = rand() < 0.1 && end > 0;
    const position = back ? Math.floor(rand() * end) : end;
    const n = Math.min(size - position, 1 + Math.floor(rand() * (back ? 64 : 300_000)));
    const data = new Uint8Array(n).map(() => Math.floor(rand() * 256));
    await sink.write(data, position);
    want.set(data, position);
    end = Math.max(end, position + n);
  }
  assert.equal(sink.size, size);
  const got = new Uint8Array(await sink.toBlob('video/mp4').arrayBuffer());
  assert.equal(got.length, want.length);
  assert.ok(
    got.every((v, i) => v === want[i]),
    'bytes differ',
  );
});

test('a long sequential file keeps at most three pages in memory', async () => {
  const sink = new PagedSink();
  const chunk = new Uint8Array(1 << 20).fill(3);
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    await sink.write(chunk, i * chunk.length);
    peak = Math.max(peak, sink.liveBytes);
  }
  assert.ok(peak <= 3 * PAGE_BYTES, `peak ${peak / 2 ** 20} MiB live`);
  const blob = sink.toBlob('video/webm');
  assert.equal(blob.size, 40 << 20);
  assert.equal(blob.type, 'video/webm');
});

test('a gap is zeros, and an empty sink is an empty file', async () => {
  const sink = new PagedSink();
  await sink.write(new Uint8Array([1, 2]), PAGE_BYTES + 10);
  const got = new Uint8Array(await sink.toBlob('x').arrayBuffer());
  assert.equal(got.length, PAGE_BYTES + 12);
  assert.equal(got[PAGE_BYTES + 10], 1);
  assert.equal(got[5], 0);
  assert.equal(new PagedSink().toBlob('x').size, 0);
});
