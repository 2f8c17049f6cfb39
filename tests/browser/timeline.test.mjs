// The video planner's rules (www/lib/src/worker/timeline.ts) on made-up timestamps: no browser, no
// video, so every rule is checked exactly. The compiled module is plain JS with no imports.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plan, sourceEnd } from '../../www/lib/dist/worker/timeline.js';

// Changes as duplicates.ts `compare` measures them: a moving pair, and a re-encoded repeat.
const MOVING = { mean: 6, peak: 40, top: 12 };
const REPEAT = { mean: 0.1, peak: 1.5, top: 0.4 };

/** Frames at `stamps` (s) that all move (no duplicates, no cuts) unless told otherwise. */
function frames(stamps, { dups = [], cuts = [], duration = 0 } = {}) {
  return stamps.map((timestamp, i) => ({
    timestamp,
    duration,
    similarity: i === 0 ? Number.NaN : cuts.includes(i) ? 0.05 : 0.8,
    change: i === 0 ? null : dups.includes(i) ? REPEAT : MOVING,
  }));
}
const range = (n, step) => Array.from({ length: n }, (_, i) => i * step);
const base = { factor: 2, fps: null, sceneThreshold: 0.2, dedupe: true };
const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} vs ${b}`);

describe('timeline.plan', () => {
  test('x2 on constant rate: source frames kept, a mix halfway, the last frame held', () => {
    const p = plan(frames([0, 0.1, 0.2], { duration: 0.1 }), base);
    assert.deepEqual(
      p.outputs.map((o) => o.kind),
      ['a', 'mix', 'a', 'mix', 'a', 'a'],
    );
    p.outputs.forEach((o, i) => close(o.time, i * 0.05, `output ${i}`));
    p.outputs.forEach((o) => close(o.duration, 0.05));
    close(p.outputs[1].t, 0.5);
    assert.deepEqual(
      p.outputs.map((o) => o.pair),
      [0, 0, 1, 1, 2, 2],
    );
  });

  test('variable frame rate: each gap split evenly, every source timestamp kept', () => {
    const p = plan(frames([0, 0.1, 0.3, 0.35], { duration: 0.05 }), { ...base, factor: 4 });
    const times = p.outputs.map((o) => o.time);
    [0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.3125, 0.325, 0.3375, 0.35].forEach((t, i) =>
      close(times[i], t, `output ${i}`),
    );
    assert.equal(p.outputs.length, 16);
    close(p.outputs[6].t, 0.5);
  });

  test('target fps: a constant grid up to the end of the last frame, t measured within each pair', () => {
    const p = plan(frames([0, 0.04, 0.08], { duration: 0.04 }), { ...base, factor: null, fps: 50 });
    assert.equal(p.outputs.length, 6); // 0.12 s at 50 fps
    const [o0, o1, o2] = p.outputs;
    assert.equal(o0.kind, 'a');
    assert.equal(o1.kind, 'mix');
    close(o1.t, 0.5);
    assert.equal(o2.kind, 'a');
    assert.equal(o2.pair, 1);
  });

  test('scene cut: nearest source frame either side, never a mix; threshold 0 turns it off', () => {
    const f = frames([0, 0.1, 0.2, 0.3], { cuts: [2], duration: 0.1 });
    const p = plan(f, { ...base, factor: 4 });
    assert.equal(p.cuts, 1);
    assert.deepEqual(
      p.outputs.slice(4, 8).map((o) => o.kind),
      ['a', 'a', 'b', 'b'],
    );
    const off = plan(f, { ...base, factor: 4, sceneThreshold: 0 });
    assert.equal(off.cuts, 0);
    assert.deepEqual(
      off.outputs.slice(4, 8).map((o) => o.kind),
      ['a', 'mix', 'mix', 'mix'],
    );
  });

  test('pulldown (24 at 25 fps): each repeat dropped, only its own slot synthesized, every other frame kept at its time', () => {
    // Two seconds at 25 fps; frames 12 and 37 repeat the frame before them (one a second).
    const stamps = range(50, 0.04);
    const p = plan(frames(stamps, { dups: [12, 37], duration: 0.04 }), base);
    assert.equal(p.dropped, 2);
    assert.ok(!p.keys.includes(12) && !p.keys.includes(37));
    // Key frames keep their own timestamps: nothing is re-timed around a drop.
    assert.deepEqual(
      p.motion,
      p.keys.map((i) => stamps[i]),
    );
    // Each key frame is output as itself at its own time.
    for (const [j, i] of p.keys.entries()) {
      const o = p.outputs[2 * i];
      close(o.time, stamps[i], `frame ${i}`);
      assert.equal(o.kind, 'a', `frame ${i} is passed through`);
      assert.equal(o.pair, j);
    }
    // Frame 12's slot (and the half slots either side) are in-betweens of frames 11 and 13.
    const slot = p.outputs.slice(22, 26);
    assert.deepEqual(
      slot.map((o) => o.kind),
      ['a', 'mix', 'mix', 'mix'],
    );
    assert.deepEqual(
      slot.map((o) => p.keys[o.pair]),
      [11, 11, 11, 11],
    );
    [0, 0.25, 0.5, 0.75].forEach((t, k) => close(slot[k].t, t, `t at output ${22 + k}`));
    // The account: 48 passed through, 2 replaced by in-betweens, 49 + 2 made by RIFE.
    assert.deepEqual([p.sourceFrames, p.kept, p.replaced, p.interpolated], [50, 48, 2, 51]);
    // Without dedupe nothing is dropped, and RIFE makes N - 1 frames.
    const off = plan(frames(stamps, { dups: [12, 37], duration: 0.04 }), { ...base, dedupe: false });
    assert.deepEqual([off.dropped, off.kept, off.replaced, off.interpolated], [0, 50, 0, 49]);
  });

  test('a lone quiet frame (no cadence) and a still scene keep every frame', () => {
    const stamps = range(50, 0.04);
    const lone = plan(frames(stamps, { dups: [20], duration: 0.04 }), base);
    assert.deepEqual([lone.dropped, lone.kept, lone.replaced, lone.interpolated], [0, 50, 0, 49]);
    // Five identical frames in a row, twice: a still scene, not a hold.
    const still = plan(frames(stamps, { dups: [5, 6, 7, 8, 9, 30, 31, 32, 33, 34], duration: 0.04 }), base);
    assert.equal(still.dropped, 0);
    assert.deepEqual(still.motion, stamps);
  });

  test('animation on twos and threes: the held frames dropped, the moves kept', () => {
    const stamps = range(24, 1 / 24);
    const twos = plan(frames(stamps, { dups: range(12, 2).map((i) => i + 1), duration: 1 / 24 }), base);
    assert.deepEqual(twos.keys, range(12, 2));
    const threes = plan(frames(stamps, { dups: range(24, 1).filter((i) => i % 3 !== 0), duration: 1 / 24 }), base);
    assert.deepEqual(threes.keys, range(8, 3));
    // Between two kept frames three slots apart, the in-betweens are evenly spaced.
    const mids = threes.outputs.filter((o) => o.pair === 0).map((o) => o.t);
    mids.forEach((t, k) => close(t, k / 6, `t ${k}`));
  });

  test('a dropped repeat next to a scene cut: the cut stays a cut', () => {
    // A repeat on each side of a cut between frames 10 and 11.
    const stamps = range(20, 0.04);
    const p = plan(frames(stamps, { dups: [5, 15], cuts: [11], duration: 0.04 }), base);
    assert.equal(p.dropped, 2);
    assert.equal(p.cuts, 1);
    const j = p.cut.indexOf(true);
    close(p.motion[j], 0.4, 'last key before the cut');
    close(p.motion[j + 1], 0.44, 'first key after it');
    // The output frame halfway across the cut is the later source frame, not a mix.
    const across = p.outputs.find((o) => Math.abs(o.time - 0.42) < 1e-9);
    assert.equal(across.kind, 'b');
    assert.equal(p.keys[across.pair + 1], 11);
  });

  test('sourceEnd uses the last duration, else the last gap', () => {
    close(sourceEnd(frames([0, 0.1, 0.2], { duration: 0.05 })), 0.25);
    close(sourceEnd(frames([0, 0.1, 0.2])), 0.3);
    close(sourceEnd(frames([0.5])), 0.5 + 1 / 30);
    const single = plan(frames([0.5]), base);
    assert.deepEqual(
      single.outputs.map((o) => o.kind),
      ['a', 'a'],
    );
    assert.ok(single.outputs[1].time > single.outputs[0].time);
  });
});
