//! Steps of the wasm backend: toolchains to install, sample plugins to build, demo to run.
//!
//! Guest toolchains come from `interop-setup` (what `interop setup` runs; idempotent):
//! - Rust: the `wasm32-wasip1` target.
//! - Go >= 1.24 (needed for `//go:wasmexport`): Debian's Go 1.26, unpacked into
//!   `.tools/go` (not the user's data directory: the checkouts of a machine share it).
//! - C: Debian's clang, lld, wasi-libc and the wasm32 compiler-rt builtins.
//! - AssemblyScript: `npm ci` in the AssemblyScript sample (version pinned by its lockfile).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use interop_protocol::{Interop, WasmAbi};

use interop_setup::Component;

use crate::util::{root, run_in, step, tools_setup, user_setup};

/// The greeters the demo calls, one per language (core modules, then components).
const DEMO: &[&str] = &[
    "rust-greeter",
    "go-greeter",
    "assemblyscript-greeter",
    "c-greeter",
    "rust-component-greeter",
    "python-component-greeter",
    "js-component-greeter",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    Rust,
    Go,
    C,
    AssemblyScript,
}

/// Installs what the wasm sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    let user = user_setup()?;
    for component in [Component::Rust, Component::C] {
        println!("{}", user.install(component)?);
    }
    println!("{}", tools_setup().install(Component::Go)?);
    for dir in wasm_plugin_dirs()? {
        if language(&dir) == Some(Lang::AssemblyScript) {
            npm_ci(&dir)?;
        }
    }
    println!(
        "wasm: guest toolchains ready (rust wasm32-wasip1, go in .tools/go, clang + wasi-libc, assemblyscript)"
    );
    Ok(())
}

/// The directories under examples/plugins whose manifest says `protocol: "wasm"` for a
/// core module (components are `component.rs`'s), with the manifest's name and the
/// absolute path of its `wasmPath`.
fn wasm_plugins() -> Result<Vec<(PathBuf, String, PathBuf)>> {
    Ok(wasm_samples()?
        .into_iter()
        .filter(|s| s.abi != Some(WasmAbi::Component))
        .map(|s| (s.dir, s.name, s.out))
        .collect())
}

/// A sample plugin whose manifest says `protocol: "wasm"`.
pub struct WasmSample {
    /// Its directory.
    pub dir: PathBuf,
    /// Its declared `wasmAbi`.
    pub abi: Option<WasmAbi>,
    /// The manifest's name.
    pub name: String,
    /// The absolute path of its `wasmPath`.
    pub out: PathBuf,
}

/// Every wasm sample under examples/plugins.
pub fn wasm_samples() -> Result<Vec<WasmSample>> {
    let plugins = root().join("examples/plugins");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&plugins)
        .with_context(|| format!("cannot list {}", plugins.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("plugin.json").is_file())
        .collect();
    dirs.sort();
    let mut found = Vec::new();
    for dir in dirs {
        let loaded = interop_protocol::load_manifest(dir.join("plugin.json"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Interop::Wasm(wasm) = &loaded.manifest.interop {
            let out = loaded.resolve(&wasm.wasm_path);
            found.push(WasmSample {
                dir,
                abi: wasm.wasm_abi,
                name: loaded.manifest.name.clone(),
                out,
            });
        }
    }
    Ok(found)
}

fn wasm_plugin_dirs() -> Result<Vec<PathBuf>> {
    Ok(wasm_plugins()?.into_iter().map(|(dir, _, _)| dir).collect())
}

/// `npm ci` in `dir` unless its AssemblyScript compiler is already installed.
fn npm_ci(dir: &Path) -> Result<()> {
    Ok(interop_setup::assemblyscript::npm_ci(
        &user_setup()?,
        dir,
        "asc",
    )?)
}

/// Builds every `protocol: "wasm"` sample under examples/plugins that has sources to
/// compile, into the manifest's `wasmPath`, skipping those whose output is newer than
/// their sources. The language is told by the project files: `Cargo.toml` (Rust),
/// `go.mod` (Go), `package.json` (AssemblyScript), `src/*.c` (C); a directory with none
/// (a `.wat` module, say) needs no build.
pub fn build_plugins() -> Result<()> {
    for (dir, name, out) in wasm_plugins()? {
        let Some(lang) = language(&dir) else {
            continue;
        };
        if up_to_date(&dir, lang, &out)? {
            println!("wasm: {name} is up to date");
            continue;
        }
        step(&format!("wasm: building {name} ({lang:?})"));
        match lang {
            Lang::Rust => build_rust(&dir, &out, "wasm32-wasip1")?,
            Lang::Go => build_go(&dir, &out)?,
            Lang::C => build_c(&dir, &out)?,
            Lang::AssemblyScript => build_assemblyscript(&dir)?,
        }
        if !out.is_file() {
            bail!("building {name} did not produce {}", out.display());
        }
    }
    Ok(())
}

fn language(dir: &Path) -> Option<Lang> {
    if dir.join("Cargo.toml").is_file() {
        Some(Lang::Rust)
    } else if dir.join("go.mod").is_file() {
        Some(Lang::Go)
    } else if dir.join("package.json").is_file() {
        Some(Lang::AssemblyScript)
    } else if dir.join("src").is_dir()
        && std::fs::read_dir(dir.join("src")).ok()?.any(|e| {
            e.map(|e| e.path().extension().is_some_and(|x| x == "c"))
                .unwrap_or(false)
        })
    {
        Some(Lang::C)
    } else {
        None
    }
}

/// Shows the wasm backend with the `interop` binary at `interop`: the same greeter in
/// four languages as core modules and three as components, with identical output.
pub fn demo(interop: &str) -> Result<()> {
    for name in DEMO {
        let manifest = format!("examples/plugins/{name}/plugin.json");
        step(&format!(
            "interop call {manifest} greet --input '\"World\"'"
        ));
        crate::util::run(
            interop,
            &["call", &manifest, "greet", "--input", "\"World\""],
        )?;
    }
    step("interop wasm-call examples/plugins/wat-add/add.wat add 2 3");
    crate::util::run(
        interop,
        &[
            "wasm-call",
            "examples/plugins/wat-add/add.wat",
            "add",
            "2",
            "3",
        ],
    )?;
    // Each hostile sample must be stopped with an error; the host process goes on.
    for (sample, action) in [
        ("infinite-loop", "spin"),
        ("memory-bomb", "bomb"),
        ("path-escape", "parent"),
        ("disallowed-url", "exfiltrate"),
    ] {
        let manifest = format!("examples/plugins/wasm-hostile/{sample}/plugin.json");
        step(&format!(
            "interop call {manifest} {action} (hostile: must be stopped)"
        ));
        if crate::util::run(interop, &["call", &manifest, action]).is_ok() {
            anyhow::bail!("the hostile sample {sample} was not stopped");
        }
    }
    Ok(())
}

/// The GOROOT of the Go toolchain setup unpacks into `.tools/go`.
fn go_root() -> PathBuf {
    interop_setup::go::go_root(&tools_setup())
}

/// A `go` command with the unpacked toolchain, its caches under `.tools`, and no
/// network (the guests use only the standard library).
fn go_command(dir: &Path) -> Command {
    let tools = root().join(".tools");
    let mut cmd = Command::new(go_root().join("bin/go"));
    cmd.current_dir(dir)
        .env("GOROOT", go_root())
        .env("GOPATH", tools.join("gopath"))
        .env("GOCACHE", tools.join("gocache"))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("CGO_ENABLED", "0");
    cmd
}

fn build_go(dir: &Path, out: &Path) -> Result<()> {
    let out_s = out.display().to_string();
    let mut cmd = go_command(dir);
    cmd.args([
        "build",
        "-buildmode=c-shared",
        "-trimpath",
        "-ldflags=-s -w",
        "-o",
        &out_s,
        ".",
    ]);
    status(cmd, "go build -buildmode=c-shared")
}

/// Builds the Rust guest in `dir` for `triple` (release) and copies its `.wasm` to `out`.
pub fn build_rust(dir: &Path, out: &Path, triple: &str) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = dir.join("target");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir).env("CARGO_TARGET_DIR", &target).args([
        "build",
        "--quiet",
        "--target",
        triple,
        "--release",
    ]);
    status(cmd, &format!("cargo build --target {triple} --release"))?;
    let wasm = std::fs::read_dir(target.join(triple).join("release"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        .with_context(|| format!("no .wasm under {}", target.display()))?;
    copy(&wasm, out)
}

fn build_c(dir: &Path, out: &Path) -> Result<()> {
    let pdk = root().join("examples/pdk/c");
    let mut sources: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir.join("src"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "c") {
            sources.push(path.display().to_string());
        }
    }
    sources.sort();
    std::fs::create_dir_all(dir.join("dist"))?;
    let include = format!("-I{}", pdk.display());
    let out_s = out.display().to_string();
    let mut args = vec![
        "--target=wasm32-wasi",
        "--sysroot=/usr",
        "-mexec-model=reactor",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-s",
        include.as_str(),
        "-o",
        out_s.as_str(),
    ];
    args.extend(sources.iter().map(String::as_str));
    run_in("clang", &args, dir)
}

fn build_assemblyscript(dir: &Path) -> Result<()> {
    npm_ci(dir)?;
    run_in("npm", &["run", "--silent", "build"], dir)
}

/// Whether `out` exists and is newer than every source file of the plugin in `dir` and
/// of the PDK of its language.
fn up_to_date(dir: &Path, lang: Lang, out: &Path) -> Result<bool> {
    let Ok(built) = std::fs::metadata(out).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    let pdk = root().join(match lang {
        Lang::Rust => "crates/interop-pdk",
        Lang::Go => "examples/pdk/go",
        Lang::C => "examples/pdk/c",
        Lang::AssemblyScript => "examples/pdk/assemblyscript",
    });
    let newest = newest_source(dir)?.max(newest_source(&pdk)?);
    Ok(newest <= built)
}

pub fn newest_source(dir: &Path) -> Result<std::time::SystemTime> {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    if !dir.is_dir() {
        return Ok(newest);
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if matches!(
            name.as_ref(),
            "target" | "dist" | "node_modules" | "data" | "__pycache__"
        ) {
            continue;
        }
        let meta = entry.metadata()?;
        let time = if meta.is_dir() {
            newest_source(&path)?
        } else {
            meta.modified()?
        };
        newest = newest.max(time);
    }
    Ok(newest)
}

pub fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

pub fn status(mut cmd: Command, what: &str) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}
