"""PyTorch CUDA (fp32) per interpolated frame, timed as inbetween-bench times ours: upload, the
reference `inference()`, readback. Run on a lent GPU machine by scripts/bench/device-core.sh and
scripts/bench/device-gpu.sh, from the repo root (it imports tests/reference).

    python3 scripts/bench/torch-cuda.py FLOWNET_PKL SIZES ITERS
"""
import statistics, sys, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
sys.path.insert(0, "tests/reference")
import rife_ref as R
from bench_torch import interpolate
pkl, sizes, iters = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
dev = torch.device("cuda")
model = R.resolve_model(None, pkl).to(dev)
model.device = dev  # ifnet.warp builds its grids on model.device
torch.backends.cudnn.benchmark = False
print("torch", torch.__version__, torch.cuda.get_device_name(0), "TF32 matmul:",
      torch.backends.cuda.matmul.allow_tf32, "TF32 cudnn:", torch.backends.cudnn.allow_tf32)
src0 = Image.open("tests/golden/images/I0_0.png").convert("RGB")
src1 = Image.open("tests/golden/images/I0_1.png").convert("RGB")
orig_to_tensor = R.to_tensor
R.to_tensor = lambda u: orig_to_tensor(u).to(dev)
for s in sizes.split(","):
    w, h = map(int, s.split("x"))
    u0 = np.asarray(src0.resize((w, h), Image.BILINEAR))
    u1 = np.asarray(src1.resize((w, h), Image.BILINEAR))
    times = []
    with torch.inference_mode():
        for i in range(iters + 1):
            t0 = time.perf_counter()
            out = interpolate(model, u0, u1, 0.5, 1.0).cpu()
            if i: times.append(time.perf_counter() - t0)
    print(f"torch-cuda {s}: {statistics.median(times):.4f} s per frame (median of {iters}, min {min(times):.4f})")
