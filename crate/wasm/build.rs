//! Link arguments of the threaded build (compiled with `+atomics`, scripts/build-wasm.sh).
//! rustc does not pass them itself for wasm32-unknown-unknown: without them the module gets an
//! ordinary, unshared memory and wasm-bindgen emits single-thread glue.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if !(wasm && features.split(',').any(|f| f == "atomics")) {
        return;
    }
    for arg in [
        // One memory, shared by the engine's worker and the rayon helpers: imported, so each
        // helper's instance can be given it.
        "--shared-memory",
        "--import-memory",
        // 4 GiB, the most wasm32 addresses (wasm-ld's default for a shared memory is the initial
        // size); the CPU path's budget is 3 GiB (lib.rs).
        "--max-memory=4294967296",
        // What wasm-bindgen's thread start-up calls to give each thread its own TLS block.
        "--export=__wasm_init_tls",
        "--export=__tls_size",
        "--export=__tls_align",
        "--export=__tls_base",
    ] {
        println!("cargo:rustc-link-arg-cdylib={arg}");
    }
}
