//! `interop wasm-call`: calls a module's export with numbers and prints what it returns
//! (`interop wasm-call examples/plugins/wat-add/add.wat add 2 3` prints 5).

use std::path::PathBuf;
use std::process::ExitCode;

use interop_wasm::WasmBackend;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The module (.wasm or .wat).
    module: PathBuf,
    /// The exported function.
    export: String,
    /// Its arguments, parsed by its parameter types (i32, i64, f32, f64).
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let module = WasmBackend::default().open_module(&args.module)?;
    let results = module.call_export_text(&args.export, &args.args)?;
    let text: Vec<String> = results.iter().map(ToString::to_string).collect();
    println!("{}", text.join(" "));
    Ok(ExitCode::SUCCESS)
}
