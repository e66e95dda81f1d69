//! Links GCC's unwinder statically on Linux with glibc (what `gcc -static-libgcc` does),
//! instead of loading libgcc_s.so.1 at every start.
//!
//! Rust's standard library asks the linker for `-lgcc_s` (its unwinder, used for panics
//! and backtraces). Loading that library runs its constructor, `__cpu_indicator_init`,
//! which executes CPUID a dozen times; on a virtual machine each CPUID traps to the
//! hypervisor. Measured side by side (bench/paired, 1500 rounds, a Firecracker VM): a
//! cached `octoken token` went from 1.14x to 1.01x `cat` of a token file, and through
//! the agent from 1.21x to 1.09x (BENCHMARKS.md). The unwinder itself is the same code
//! from libgcc_eh.a, so panics, `catch_unwind` in tests and backtraces work as before.
//!
//! How: a directory in OUT_DIR with a copy of the toolchain's libgcc_eh.a named
//! libgcc_s.a, searched before the system's directories, so `-lgcc_s` finds the archive.
//! In a cross build, or when the C compiler cannot name its libgcc_eh.a (another
//! toolchain), nothing changes: the binary loads libgcc_s.so.1 as Rust's default does.
//! `OCTOKEN_DYNAMIC_UNWINDER=1` asks for that default too: for a toolchain whose linker
//! and C compiler disagree (a sysroot of an older glibc, cargo-zigbuild), where the
//! archive would not link. The cfg `octoken_static_unwinder` tells the tests which way
//! the binary was linked.
//!
//! A binary linked this way needs the glibc the C compiler's libgcc_eh.a was built for
//! (GCC 12's, on Debian 12, references `_dl_find_object` of glibc 2.35): build where it
//! runs (`cargo install`), or with the opt-out for older systems.

// A build script reads cargo's variables, not the user's environment: crate::env's rule
// (clippy.toml) is for the program.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

const OPT_OUT: &str = "OCTOKEN_DYNAMIC_UNWINDER";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={OPT_OUT}");
    println!("cargo::rustc-check-cfg=cfg(octoken_static_unwinder)");
    if std::env::var_os(OPT_OUT).is_some_and(|v| !v.is_empty() && v != "0") {
        return;
    }
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // Native builds only: for a cross build, the C compiler found might be the host's,
    // and its archive is of the wrong architecture.
    let native = std::env::var("HOST").ok() == std::env::var("TARGET").ok();
    if target_os != "linux" || target_env != "gnu" || !native {
        return;
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(archive) = libgcc_eh() else {
        return;
    };
    let dir = out_dir.join("static-libgcc");
    let copied = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::copy(&archive, dir.join("libgcc_s.a")));
    if copied.is_ok() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-cfg=octoken_static_unwinder");
    }
}

/// The absolute path of the target C compiler's libgcc_eh.a, if it has one.
fn libgcc_eh() -> Option<PathBuf> {
    // cc's metadata is its rerun-if-env-changed lines (CC, CFLAGS and their per-target
    // forms): another compiler, another archive.
    let compiler = cc::Build::new()
        .cargo_warnings(false)
        .try_get_compiler()
        .ok()?;
    let output = compiler
        .to_command()
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // A compiler that does not know the file prints its bare name back.
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (path.is_absolute() && Path::new(&path).is_file()).then_some(path)
}
