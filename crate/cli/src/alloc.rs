//! The C allocator, set for the CPU path's pattern of allocations.

/// Makes glibc keep freed memory for reuse instead of handing it back to the kernel.
///
/// Every CPU forward allocates and frees the same large activations (megabytes each at
/// 640x360). With glibc's defaults a freed block above the mmap threshold is unmapped and the
/// top of the heap is trimmed, so the next frame page-faults all of it in again. Measured on the
/// `inbetween` CLI (6 in-betweens at 640x360, 2 threads, `perf stat`, 3 runs each through the
/// equivalent `MALLOC_*` environment variables): 151k page faults and 1.59 s of CPU time with the
/// defaults, 44k and 1.40 s (0.88x) with these settings. The mmap threshold goes to its 64-bit
/// maximum (32 MiB), trimming only above 1 GiB free. Setting only the trim threshold was worse
/// (484k faults): it turns off glibc's own raising of the mmap threshold.
///
/// Linux with glibc only; elsewhere nothing changes. The library does not call it: an
/// application decides its own allocator.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
