// The video planner's rules (www/lib/src/timeline.ts) on made-up timestamps: no browser, no
// video, so every rule is checked exactly. The compiled module is plain JS with no imports.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evenOut, plan, sourceEnd } from '../../www/lib/dist/timeline.js';

/** Frames at `stamps` (s) that all move (no duplicates, no cuts) unless told otherwise. */
function frames(stamps, { dups = [], cuts = [], duration = 0 } = {}) {
  return stamps.map((timestamp, i) => ({
    timestamp,
    duration,
    similarity: i === 0 ? Number.NaN : cuts.includes(i) ? 0.05 : 0.8,
    maxDiff: i === 0 ? Number.NaN : dups.includes(i) ? 0.5 : 40,
  }));
}
const base = { factor: 2, fps: null, sceneThreshold: 0.2, dedupe: true };
const close = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} vs ${b}`);

describe('timeline.plan', () => {
  test('x2 on constant rate: source frames kept, a mix halfway, the last frame held', () => {
    const p = plan(frames([0, 0.1, 0.2], { duration: 0.1 }), base);
    assert.deepEqual(p.outputs.map((o) => o.kind), ['a', 'mix', 'a', 'mix', 'a', 'a']);
    p.outputs.forEach((o, i) => close(o.time, i * 0.05, `output ${i}`));
    p.outputs.forEach((o) => close(o.duration, 0.05));
    close(p.outputs[1].t, 0.5);
    assert.deepEqual(p.outputs.map((o) => o.pair), [0, 0, 1, 1, 2, 2]);
  });

  test('variable frame rate: each gap split evenly, every source timestamp kept', () => {
    const p = plan(frames([0, 0.1, 0.3, 0.35], { duration: 0.05 }), { ...base, factor: 4 });
    const times = p.outputs.map((o) => o.time);
    [0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.3125, 0.325, 0.3375, 0.35].forEach((t, i) => close(times[i], t, `output ${i}`));
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
    assert.deepEqual(p.outputs.slice(4, 8).map((o) => o.kind), ['a', 'a', 'b', 'b']);
    const off = plan(f, { ...base, factor: 4, sceneThreshold: 0 });
    assert.equal(off.cuts, 0);
    assert.deepEqual(off.outputs.slice(4, 8).map((o) => o.kind), ['a', 'mix', 'mix', 'mix']);
  });

  test('isolated duplicate (pulldown) dropped and motion re-timed evenly; runs of stills kept', () => {
    // 25 frames a second, frame 12 repeats frame 11: 24 moving frames in 25 slots.
    const stamps = Array.from({ length: 25 }, (_, i) => i * 0.04);
    const p = plan(frames(stamps, { dups: [12], duration: 0.04 }), base);
    assert.equal(p.duplicates, 1);
    assert.ok(!p.keys.includes(12));
    // The motion times are evenly spaced again: 24 keys over 0..0.96 s.
    const gaps = p.motion.slice(1).map((m, i) => m - p.motion[i]);
    const spread = Math.max(...gaps) - Math.min(...gaps);
    assert.ok(spread < 0.01, `motion gaps vary by ${spread} s`);
    close(p.motion[0], 0);
    close(p.motion[p.motion.length - 1], 0.96);
    // Without dedupe the duplicate stays, and its pair is a standstill.
    assert.equal(plan(frames(stamps, { dups: [12], duration: 0.04 }), { ...base, dedupe: false }).duplicates, 0);
    // A still scene (several identical frames in a row) keeps every frame and its time.
    const still = plan(frames(stamps, { dups: [5, 6, 7], duration: 0.04 }), base);
    assert.equal(still.duplicates, 0);
    assert.deepEqual(still.motion, stamps);
  });

  test('re-timing after dropped duplicates never moves a scene cut', () => {
    // A pulldown repeat on each side of a cut between frames 10 and 11.
    const stamps = Array.from({ length: 20 }, (_, i) => i * 0.04);
    const p = plan(frames(stamps, { dups: [5, 15], cuts: [11], duration: 0.04 }), base);
    assert.equal(p.duplicates, 2);
    assert.equal(p.cuts, 1);
    const j = p.cut.indexOf(true);
    close(p.motion[j], 0.4, 'last key before the cut');
    close(p.motion[j + 1], 0.44, 'first key after it');
    // The output frame halfway across the cut is the later source frame, not a mix.
    const across = p.outputs.find((o) => Math.abs(o.time - 0.42) < 1e-9);
    assert.equal(across.kind, 'b');
    assert.equal(p.keys[across.pair + 1], 11);
  });

  test('evenOut keeps the ends and smooths one long gap', () => {
    const m = evenOut([0, 1, 2, 4, 5, 6], 2);
    close(m[0], 0);
    close(m[5], 6);
    for (let i = 1; i < m.length; i++) assert.ok(m[i] > m[i - 1]);
  });

  test('sourceEnd uses the last duration, else the last gap', () => {
    close(sourceEnd(frames([0, 0.1, 0.2], { duration: 0.05 })), 0.25);
    close(sourceEnd(frames([0, 0.1, 0.2])), 0.3);
    close(sourceEnd(frames([0.5])), 0.5 + 1 / 30);
    const single = plan(frames([0.5]), base);
    assert.deepEqual(single.outputs.map((o) => o.kind), ['a', 'a']);
    assert.ok(single.outputs[1].time > single.outputs[0].time);
  });
});
