//! The octoken binary: everything lives in the library (src/lib.rs).
//!
//! On Linux the binary brings its own C `main` (`no_main`) instead of Rust's start-up,
//! whose costliest step places a guard for the main thread's stack by reading
//! `/proc/self/maps` (pthread_getattr_np): about a tenth of a cached `octoken token`,
//! which is a process start and a file read (BENCHMARKS.md). What that start-up does
//! that octoken relies on is done by `octoken::main_without_rust_start`: file
//! descriptors 0-2 opened on /dev/null when closed, SIGPIPE ignored, stdout flushed at
//! exit. What is lost: the "has overflowed its stack" message (the kernel's guard gap
//! still stops an overflow, as a plain SIGSEGV). Arguments reach `std::env::args_os`
//! as before (glibc passes them to Rust's initialiser; hence glibc only: with musl,
//! Rust's own start-up stays).

// Not in `cargo test`'s build of this file, whose harness brings its own `main`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    octoken::main_without_rust_start()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() -> std::process::ExitCode {
    octoken::main()
}
