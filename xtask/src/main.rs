//! `cargo xtask`: the project's automation, in Rust so that it runs wherever cargo does.
//!
//! - `cargo xtask demo`: set up what the demo needs, then validate, inspect and call the
//!   example plugins.
//! - `cargo xtask test`: install guest toolchains, build the sample plugins, run every test,
//!   then build and run an application outside the workspace (`outside.rs`) and check an
//!   installed `interop` away from the checkout (`install_check.rs`).
//! - `cargo xtask install-check [--fresh]`: that check alone (`--fresh`: the long tier, a
//!   release build from scratch as a user's `cargo install` does).
//! - `cargo xtask setup`: install guest toolchains and engines only (idempotent).
//! - `cargo xtask build-plugins` / `test-plugins`: build the sample plugins / and run the
//!   integration tests against them.
//! - `cargo xtask schema [--check]`: regenerate (or check) `plugin.schema.json`.
//! - `cargo xtask lint`: rustfmt and clippy, as CI runs them.
//! - `cargo xtask node-build` / `node-test`: build the Node package (`bindings/node`) / and
//!   run its `node --test` suite.
//! - `cargo xtask bench`: every benchmark, and the tables of `docs/benchmarks.md` (not in
//!   CI: it takes minutes and wants a quiet machine).
//!
//! Each backend keeps its steps in its own module (`wasm.rs`, `component.rs` for wasm
//! components, `ffi.rs`, `js.rs`, `ipc.rs`);
//! the Node package (`node.rs`) and the Python package (`python.rs`: a venv under the
//! build tree, pytest) theirs.

mod bench;
mod component;
mod ffi;
mod install_check;
mod ipc;
mod js;
mod node;
mod outside;
mod python;
mod util;
mod wasm;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

use util::{cargo, root, step};

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up, then validate, inspect and call the example plugins.
    Demo,
    /// Install toolchains, build sample plugins, run the whole test suite.
    Test,
    /// Build the Python package into its venv and run its pytest suite.
    TestPython,
    /// Install guest toolchains and engines (idempotent).
    Setup,
    /// Build the sample plugins in examples/plugins.
    BuildPlugins,
    /// Build the sample plugins and run the integration tests against them.
    TestPlugins,
    /// Regenerate plugin.schema.json from the manifest types.
    Schema {
        /// Fail if the checked-in file is stale instead of rewriting it.
        #[arg(long)]
        check: bool,
    },
    /// rustfmt --check and clippy -D warnings.
    Lint,
    /// Build and run an application outside the workspace that depends on interop-host.
    Outside,
    /// `cargo install` the CLI into a temporary root, then `interop setup js` and a JS
    /// call with this checkout out of reach (quick: a debug build from the shared target
    /// directory).
    InstallCheck {
        /// Build as a user does: release, in a target directory of its own (many minutes).
        #[arg(long)]
        fresh: bool,
    },
    /// Build the Node addon (bindings/node/interop_node.node) and its index.d.ts.
    NodeBuild,
    /// Build the sample plugins and the Node addon, then run `node --test` on it.
    NodeTest,
    /// Run every benchmark and write the tables of docs/benchmarks.md.
    Bench {
        /// Only the benchmarks of these packages (`-p interop-wasm`); the other rows
        /// then say "not measured in this run".
        #[arg(short = 'p', long = "package")]
        packages: Vec<String>,
        /// Write the tables from criterion's latest results without running anything
        /// (after `cargo bench` by hand).
        #[arg(long)]
        no_run: bool,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Demo => demo(),
        Command::Test => test(),
        Command::TestPython => python::test(),
        Command::Setup => setup(),
        Command::BuildPlugins => build_plugins(),
        Command::TestPlugins => {
            build_plugins()?;
            step("integration tests against the sample plugins");
            cargo(&["test", "--workspace", "--tests", "--", "--include-ignored"])
        }
        Command::Schema { check } => schema(check),
        Command::Lint => lint(),
        Command::Outside => outside::test(),
        Command::InstallCheck { fresh } => install_check::check(fresh),
        Command::NodeBuild => node::build(),
        Command::NodeTest => {
            build_plugins()?;
            node::test()
        }
        Command::Bench { packages, no_run } => bench::bench(&packages, no_run),
    }
}

fn setup() -> Result<()> {
    wasm::setup()?;
    ffi::setup()?;
    js::setup()?;
    ipc::setup()?;
    python::setup()?;
    // After python's (python3-venv) and wasm's (npm): it needs both.
    component::setup()?;
    // TypeScript of the Node package: also what checks the bindings generator's output.
    node::npm_ci()?;
    Ok(())
}

fn build_plugins() -> Result<()> {
    setup()?;
    wasm::build_plugins()?;
    component::build_plugins()?;
    ffi::build_plugins()?;
    js::build_plugins()?;
    ipc::build_plugins()?;
    Ok(())
}

fn test() -> Result<()> {
    // Every package of the lock file, those of other platforms too: the layers test reads
    // `cargo metadata --all-features --offline`, which needs their manifests.
    step("cargo fetch");
    cargo(&["fetch", "--quiet"])?;
    build_plugins()?;
    schema(true)?;
    step("cargo test --workspace");
    cargo(&["test", "--workspace"])?;
    outside::test()?;
    install_check::check(false)?;
    node::test()?;
    python::test()
}

fn schema(check: bool) -> Result<()> {
    let path = root().join("plugin.schema.json");
    let text = interop_protocol::schema::manifest_schema_text();
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != text {
            bail!("{} is stale: run `cargo xtask schema`", path.display());
        }
        println!("plugin.schema.json is up to date");
    } else {
        std::fs::write(&path, text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn lint() -> Result<()> {
    // A minimal rustup profile lacks them; adding installed components is a no-op.
    step("rustup component add rustfmt clippy");
    util::run("rustup", &["component", "add", "rustfmt", "clippy"])?;
    step("cargo fmt --check");
    cargo(&["fmt", "--all", "--check"])?;
    step("cargo clippy");
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // Every crate an application may depend on packages with what its build needs (the
    // V8 shim's sources, the CLI's templates) and versioned sibling dependencies.
    step("cargo package (every published crate, without building them)");
    cargo(&[
        "package",
        "--workspace",
        "--exclude",
        "xtask",
        "--exclude",
        "interop-hostile",
        "--allow-dirty",
        "--no-verify",
        "--quiet",
    ])
}

fn demo() -> Result<()> {
    build_plugins()?;
    step("building the interop CLI");
    cargo(&["build", "--quiet", "-p", "interop-cli"])?;
    let interop = root().join("target/debug/interop");
    let interop = interop.to_str().unwrap_or("interop");
    step("interop validate examples/ (every manifest must pass)");
    util::run(
        interop,
        &["validate", "--manifest-only", "examples/manifests"],
    )?;
    util::run(interop, &["validate", "examples/plugins"])?;
    step("interop validate examples/invalid/ (every manifest must fail, naming the JSON path)");
    if util::run(interop, &["validate", "examples/invalid"]).is_ok() {
        bail!("a manifest in examples/invalid was accepted");
    }
    step("interop inspect examples/manifests/reference/plugin.json");
    util::run(
        interop,
        &["inspect", "examples/manifests/reference/plugin.json"],
    )?;
    step("one host, every sample plugin (cargo run -p interop-host --example demo)");
    cargo(&[
        "run",
        "--quiet",
        "-p",
        "interop-host",
        "--example",
        "demo",
        "--",
        "examples/plugins",
    ])?;
    wasm::demo(interop)?;
    ffi::demo(interop)?;
    js::demo(interop)?;
    ipc::demo(interop)?;
    println!("\ndemo finished");
    Ok(())
}
