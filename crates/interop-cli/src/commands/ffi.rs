//! `interop ffi call`: a C function called with types declared on the command line.
//! (`interop ffi-serve <plugin.json>`, isolated mode's runner, is served before the
//! command line is parsed: see `main` and `interop_host::isolation`.)

use std::process::ExitCode;

use anyhow::{bail, Context};
use interop_ffi::{Arg, Library, Type};

#[derive(Debug, clap::Args)]
pub struct FfiArgs {
    #[command(subcommand)]
    command: FfiCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FfiCommand {
    /// Call a C function with declared types, e.g.
    /// `interop ffi call c atoi --ret i32 --arg cstr:123`.
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
    ret: String,
    /// An argument as TYPE:VALUE, in order (repeat): `cstr:123`, `f64:0.5`, `i32:-1`,
    /// `buffer:some text`, `buffer_mut:some text`, `buffer_out:CAPACITY`, `pointer:0x0`.
    #[arg(long = "arg", value_name = "TYPE:VALUE")]
    args: Vec<String>,
}

/// What an argument owns until the call is made.
enum Owned {
    Scalar(Arg<'static>),
    Bytes(Type, Vec<u8>),
}

fn parse_arg(spec: &str) -> anyhow::Result<Owned> {
    let (ty, value) = spec
        .split_once(':')
        .with_context(|| format!("`--arg {spec}`: expected TYPE:VALUE, e.g. cstr:123"))?;
    let ty = Type::parse(ty).with_context(|| format!("`--arg {spec}`: unknown type `{ty}`"))?;
    let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("`--arg {spec}`: {e}");
    Ok(Owned::Scalar(match ty {
        Type::Void => bail!("`--arg {spec}`: void is not an argument type"),
        Type::Bool => Arg::Bool(value.parse().map_err(|e| bad(&e))?),
        Type::I8 => Arg::I8(value.parse().map_err(|e| bad(&e))?),
        Type::I16 => Arg::I16(value.parse().map_err(|e| bad(&e))?),
        Type::I32 => Arg::I32(value.parse().map_err(|e| bad(&e))?),
        Type::I64 => Arg::I64(value.parse().map_err(|e| bad(&e))?),
        Type::U8 => Arg::U8(value.parse().map_err(|e| bad(&e))?),
        Type::U16 => Arg::U16(value.parse().map_err(|e| bad(&e))?),
        Type::U32 => Arg::U32(value.parse().map_err(|e| bad(&e))?),
        Type::U64 => Arg::U64(value.parse().map_err(|e| bad(&e))?),
        Type::Usize => Arg::Usize(value.parse().map_err(|e| bad(&e))?),
        Type::F32 => Arg::F32(value.parse().map_err(|e| bad(&e))?),
        Type::F64 => Arg::F64(value.parse().map_err(|e| bad(&e))?),
        Type::CStr => Arg::cstr(value).ok_or_else(|| bad(&"contains a NUL byte"))?,
        Type::Pointer => {
            let addr = match value.strip_prefix("0x") {
                Some(hex) => usize::from_str_radix(hex, 16).map_err(|e| bad(&e))?,
                None => value.parse().map_err(|e| bad(&e))?,
            };
            Arg::Pointer(addr as *mut std::ffi::c_void)
        }
        Type::Buffer | Type::BufferMut => return Ok(Owned::Bytes(ty, value.as_bytes().to_vec())),
        Type::BufferOut => {
            let capacity: usize = value.parse().map_err(|e| bad(&e))?;
            return Ok(Owned::Bytes(ty, vec![0; capacity]));
        }
    }))
}

pub fn run(args: FfiArgs) -> anyhow::Result<ExitCode> {
    let FfiCommand::Call(call) = args.command;
    let ret =
        Type::parse(&call.ret).with_context(|| format!("`--ret {}`: unknown type", call.ret))?;
    let params: Vec<Owned> = call
        .args
        .iter()
        .map(|s| parse_arg(s))
        .collect::<anyhow::Result<_>>()?;
    let types: Vec<Type> = params
        .iter()
        .map(|p| match p {
            Owned::Scalar(a) => a.ty(),
            Owned::Bytes(t, _) => *t,
        })
        .collect();
    let library = Library::open(&call.library)?;
    let function = library.func(&call.function, ret, &types)?;
    let mut params = params;
    let mut args: Vec<Arg> = Vec::with_capacity(params.len());
    for p in params.iter_mut() {
        args.push(match p {
            Owned::Scalar(a) => std::mem::replace(a, Arg::Bool(false)),
            Owned::Bytes(Type::Buffer, b) => Arg::Buffer(b),
            Owned::Bytes(Type::BufferMut, b) => Arg::BufferMut(b),
            Owned::Bytes(_, b) => Arg::BufferOut(b),
        });
    }
    let value = function.call(&mut args[..])?;
    drop(args);
    println!("{value}");
    for (i, p) in params.iter().enumerate() {
        if let Owned::Bytes(Type::BufferMut | Type::BufferOut, bytes) = p {
            println!("arg {i}: {}", String::from_utf8_lossy(bytes).escape_debug());
        }
    }
    Ok(ExitCode::SUCCESS)
}
