//! `interop ffi call`: a C function called with types declared on the command line.
//! (`interop ffi-serve <plugin.json>`, isolated mode's runner, is served before the
//! command line is parsed: see `main` and `interop_host::isolation`.)

use std::process::ExitCode;

use anyhow::Context;
use interop_ffi::{Arg, Library, OwnedArg, Type};

#[derive(Debug, clap::Args)]
pub struct FfiArgs {
    #[command(subcommand)]
    command: FfiCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FfiCommand {
    /// Call a C function with declared types, e.g.
    /// `interop ffi call c atoi --ret i32 --arg cstr:123`.
    ///
    /// This runs arbitrary native code in this process, with your privileges and no
    /// sandbox: the library's initialisers run when it is opened, and a declaration or an
    /// argument that does not match the function (`strlen` given `pointer:0`) is
    /// undefined behaviour, from a crash to silent memory corruption, as in C.
    Call(CallArgs),
}

#[derive(Debug, clap::Args)]
struct CallArgs {
    /// The library: a short name (`c`, `m`, `z`) or a path to a shared library.
    library: String,
    /// The function's symbol.
    function: String,
    /// Return type: void, bool, i8..i64, u8..u64, usize, f32, f64, cstr, pointer.
    #[arg(long, default_value = "void")]
    ret: Type,
    /// An argument as TYPE:VALUE, in order (repeat): `cstr:123`, `f64:0.5`, `i32:-1`,
    /// `buffer:some text`, `buffer_mut:some text`, `buffer_out:CAPACITY`, `pointer:0x0`.
    #[arg(long = "arg", value_name = "TYPE:VALUE")]
    args: Vec<String>,
}

pub fn run(args: FfiArgs) -> anyhow::Result<ExitCode> {
    let FfiCommand::Call(call) = args.command;
    let mut params: Vec<OwnedArg> = call
        .args
        .iter()
        .map(|spec| spec.parse().with_context(|| "--arg"))
        .collect::<anyhow::Result<_>>()?;
    let types: Vec<Type> = params.iter().map(OwnedArg::ty).collect();
    // SAFETY: running the native code the user names, in this process, is what this
    // command is for; its help says so.
    let library = unsafe { Library::open(&call.library) }?;
    let function = library.func(&call.function, call.ret, &types)?;
    let mut args: Vec<Arg> = params.iter_mut().map(OwnedArg::as_arg).collect();
    // SAFETY: as above: the declaration and the arguments are the user's.
    let value = unsafe { function.call(&mut args[..]) }?;
    drop(args);
    println!("{value}");
    for (i, p) in params.iter().enumerate() {
        if let Some(bytes) = p.written() {
            println!("arg {i}: {}", String::from_utf8_lossy(bytes).escape_debug());
        }
    }
    Ok(ExitCode::SUCCESS)
}
