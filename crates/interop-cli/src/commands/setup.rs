//! `interop setup`: install guest toolchains and engines into the user's data directory
//! (the `interop-setup` crate, which `cargo xtask setup` uses too).

use std::process::ExitCode;

use interop_setup::{Component, Progress, Setup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    /// libnode (V8) for JavaScript plugins.
    Js,
    /// Go 1.26 for Go guests.
    Go,
    /// clang + wasi-libc for C guests, and the C headers.
    C,
    /// The AssemblyScript compiler.
    Assemblyscript,
    /// The wasm32-wasip1 and wasm32-wasip2 Rust targets (core modules, components).
    Rust,
    /// componentize-py, for Python plugins built as WebAssembly components.
    PythonComponent,
    /// All of the above.
    All,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to install.
    #[arg(value_enum, default_value = "all")]
    what: Vec<What>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut components = Vec::new();
    for what in args.what {
        let these: &[Component] = match what {
            What::Js => &[Component::Js],
            What::Go => &[Component::Go],
            What::C => &[Component::C],
            What::Assemblyscript => &[Component::AssemblyScript],
            What::Rust => &[Component::Rust],
            What::PythonComponent => &[Component::PythonComponent],
            What::All => &Component::ALL,
        };
        for component in these {
            if !components.contains(component) {
                components.push(*component);
            }
        }
    }
    let setup = Setup::for_user(Progress::auto())?;
    let mut changed = false;
    for component in components {
        let report = setup.install(component)?;
        changed |= report.changed;
        println!("{report}");
    }
    if !changed {
        println!(
            "everything asked for is installed in {}: nothing to do",
            setup.root().display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
