//! Declared-type calls into real system libraries (libc, libm, libz) and a compiled one.

use crate::common;

use interop_ffi::{Arg, FfiError, Function, Library, Type, Value};

/// Opens a system library (libc, libm, libz) or one this file compiled.
fn open(name: &str) -> Library {
    // SAFETY: those libraries' initialisers are the system's or this file's own.
    unsafe { Library::open(name) }.unwrap()
}

/// The calls of this file: each of a function declared as its C prototype says, with
/// arguments that meet its contract (what `Function::call` asks of its caller).
trait Declared {
    fn run<'a>(&self, args: impl AsMut<[Arg<'a>]>) -> Result<Value, FfiError>;
}

impl Declared for Function {
    fn run<'a>(&self, args: impl AsMut<[Arg<'a>]>) -> Result<Value, FfiError> {
        // SAFETY: see the trait: every declaration and argument below is checked by eye
        // against the C prototypes (and the results against what they must return).
        unsafe { self.call(args) }
    }
}

#[test]
fn atoi_from_libc_with_declared_types() {
    let libc = open("c");
    let atoi = libc.func("atoi", Type::I64, &[Type::CStr]).unwrap();
    // `atoi` returns an int: declared as i64 (as ctypes-style callers often do) the upper
    // half is whatever the register held, so the i32 declaration is the exact one.
    let atoi32 = libc.func("atoi", Type::I32, &[Type::CStr]).unwrap();
    assert_eq!(atoi32.run([Arg::from("123")]).unwrap(), Value::I32(123));
    assert_eq!(atoi32.run([Arg::from("-42")]).unwrap(), Value::I32(-42));
    let wide = atoi.run([Arg::from("123")]).unwrap();
    assert_eq!(wide.as_i64().map(|v| v as i32), Some(123));
}

#[test]
fn borrowed_and_owned_c_strings_both_pass() {
    let libc = open("c");
    let strlen = libc.func("strlen", Type::Usize, &[Type::CStr]).unwrap();
    let owned = Arg::cstr("hello").unwrap();
    assert_eq!(strlen.run([owned]).unwrap(), Value::Usize(5));
    let borrowed = c"hello, world";
    assert_eq!(strlen.run([Arg::from(borrowed)]).unwrap(), Value::Usize(12));
    assert!(Arg::cstr("nul\0inside").is_none());
}

#[test]
fn cos_from_libm_returns_a_double() {
    let libm = open("m");
    let cos = libm.func("cos", Type::F64, &[Type::F64]).unwrap();
    assert_eq!(cos.run([Arg::F64(0.0)]).unwrap(), Value::F64(1.0));
    let cosf = libm.func("cosf", Type::F32, &[Type::F32]).unwrap();
    assert_eq!(cosf.run([Arg::F32(0.0)]).unwrap(), Value::F32(1.0));
    let pow = libm
        .func("pow", Type::F64, &[Type::F64, Type::F64])
        .unwrap();
    assert_eq!(
        pow.run([Arg::F64(2.0), Arg::F64(10.0)]).unwrap(),
        Value::F64(1024.0)
    );
}

#[test]
fn zlib_compress_uncompress_round_trip_through_buffers() {
    let z = open("z");
    // int compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen);
    let compress = z
        .func("compress", Type::I32, &[Type::BufferOut, Type::Buffer])
        .unwrap();
    let uncompress = z
        .func("uncompress", Type::I32, &[Type::BufferOut, Type::Buffer])
        .unwrap();
    let bound = z.func("compressBound", Type::U64, &[Type::U64]).unwrap();

    let data = "interop ".repeat(200).into_bytes();
    let Value::U64(cap) = bound.run([Arg::U64(data.len() as u64)]).unwrap() else {
        panic!("compressBound returned a non-u64");
    };
    let mut packed = vec![0u8; cap as usize];
    let rc = compress
        .run([Arg::BufferOut(&mut packed), Arg::Buffer(&data)])
        .unwrap();
    assert_eq!(rc, Value::I32(0), "Z_OK");
    assert!(packed.len() < data.len() / 10, "{} bytes", packed.len());

    let mut unpacked = vec![0u8; data.len()];
    let rc = uncompress
        .run([Arg::BufferOut(&mut unpacked), Arg::Buffer(&packed)])
        .unwrap();
    assert_eq!(rc, Value::I32(0));
    assert_eq!(unpacked, data);

    // Too small an output buffer: zlib says Z_BUF_ERROR (-5), nothing overruns.
    let mut small = vec![0u8; 10];
    let rc = uncompress
        .run([Arg::BufferOut(&mut small), Arg::Buffer(&packed)])
        .unwrap();
    assert_eq!(rc, Value::I32(-5));
}

#[test]
fn buffer_mut_is_written_in_place() {
    let libc = open("c");
    // void explicit_bzero(void *s, size_t n): a (pointer, length) pair written in place.
    let bzero = libc
        .func("explicit_bzero", Type::Void, &[Type::BufferMut])
        .unwrap();
    let mut buf = *b"secret";
    assert_eq!(bzero.run([Arg::BufferMut(&mut buf)]).unwrap(), Value::Void);
    assert_eq!(buf, [0u8; 6]);
}

#[test]
fn arguments_are_checked_against_the_declaration() {
    let libc = open("c");
    let atoi = libc.func("atoi", Type::I32, &[Type::CStr]).unwrap();
    let err = atoi.run([Arg::I32(1)]).unwrap_err();
    assert!(matches!(err, FfiError::ArgType { index: 0, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "function `atoi`: argument 0 is a i32, declared cstr"
    );
    let err = atoi.run([]).unwrap_err();
    assert!(
        matches!(
            err,
            FfiError::ArgCount {
                expected: 1,
                got: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn bad_declarations_and_names_are_errors() {
    let libc = open("c");
    let err = libc.func("atoi", Type::Buffer, &[]).unwrap_err();
    assert!(err.to_string().contains("cannot be a return type"), "{err}");
    let err = libc.func("atoi", Type::I32, &[Type::Void]).unwrap_err();
    assert!(
        err.to_string().contains("cannot be a parameter type"),
        "{err}"
    );
    let err = libc
        .func("no_such_function_xyz", Type::Void, &[])
        .unwrap_err();
    assert!(matches!(err, FfiError::MissingSymbol { .. }), "{err}");
    // SAFETY: no such library exists: nothing is loaded.
    let err = unsafe { Library::open("no-such-library-xyz") }.unwrap_err();
    assert!(matches!(err, FfiError::LibraryNotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("libno-such-library-xyz.so"),
        "{err}"
    );
}

#[test]
fn returned_strings_and_pointers() {
    let libc = open("c");
    let getenv = libc.func("getenv", Type::CStr, &[Type::CStr]).unwrap();
    assert_eq!(
        getenv.run([Arg::from("INTEROP_FFI_SURELY_UNSET")]).unwrap(),
        Value::CStr(None)
    );
    let strchr = libc
        .func("strchr", Type::Pointer, &[Type::CStr, Type::I32])
        .unwrap();
    let hay = c"abc";
    let Value::Pointer(p) = strchr.run([Arg::from(hay), Arg::I32(b'c' as i32)]).unwrap() else {
        panic!("strchr did not return a pointer");
    };
    assert_eq!(p, hay.as_ptr() as usize + 2);
}

#[test]
fn many_parameters_and_narrow_types_marshal_correctly() {
    // More C parameters than are marshalled on the stack, and every narrow type.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("many.c");
    std::fs::write(
        &src,
        r#"#include <stdint.h>
#include <stdbool.h>
double many(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, int64_t g,
            uint64_t h, float i, double j, bool k) {
    return a + b + c + d + e + f + (double)g + (double)h + i + j + (k ? 1000000 : 0);
}
int8_t neg8(void) { return -5; }
uint16_t big16(void) { return 65535; }
bool yes(void) { return true; }
"#,
    )
    .unwrap();
    let lib_path = dir.path().join("libmany.so");
    common::cc_shared(&src, &lib_path);
    let lib = open(lib_path.to_str().unwrap());
    let many = lib
        .func(
            "many",
            Type::F64,
            &[
                Type::I8,
                Type::U8,
                Type::I16,
                Type::U16,
                Type::I32,
                Type::U32,
                Type::I64,
                Type::U64,
                Type::F32,
                Type::F64,
                Type::Bool,
            ],
        )
        .unwrap();
    let got = many
        .run([
            Arg::I8(-1),
            Arg::U8(200),
            Arg::I16(-300),
            Arg::U16(60000),
            Arg::I32(-70000),
            Arg::U32(4_000_000_000),
            Arg::I64(-5_000_000_000),
            Arg::U64(6_000_000_000),
            Arg::F32(0.5),
            Arg::F64(0.25),
            Arg::Bool(true),
        ])
        .unwrap();
    let expected = -1.0 + 200.0 - 300.0 + 60000.0 - 70000.0 + 4e9 - 5e9 + 6e9 + 0.5 + 0.25 + 1e6;
    assert_eq!(got, Value::F64(expected));
    assert_eq!(
        lib.func("neg8", Type::I8, &[]).unwrap().run([]).unwrap(),
        Value::I8(-5)
    );
    assert_eq!(
        lib.func("big16", Type::U16, &[]).unwrap().run([]).unwrap(),
        Value::U16(65535)
    );
    assert_eq!(
        lib.func("yes", Type::Bool, &[]).unwrap().run([]).unwrap(),
        Value::Bool(true)
    );
}
