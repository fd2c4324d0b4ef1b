//! Declared-type calls into real system libraries (libc, libm, libz).

use interop_ffi::{Arg, FfiError, Library, Type, Value};

#[test]
fn atoi_from_libc_with_declared_types() {
    let libc = Library::open("c").unwrap();
    let atoi = libc.func("atoi", Type::I64, &[Type::CStr]).unwrap();
    // `atoi` returns an int: declared as i64 (as the seed does) the upper half is whatever
    // the register held, so the i32 declaration is the exact one.
    let atoi32 = libc.func("atoi", Type::I32, &[Type::CStr]).unwrap();
    assert_eq!(atoi32.call([Arg::from("123")]).unwrap(), Value::I32(123));
    assert_eq!(atoi32.call([Arg::from("-42")]).unwrap(), Value::I32(-42));
    let wide = atoi.call([Arg::from("123")]).unwrap();
    assert_eq!(wide.as_i64().map(|v| v as i32), Some(123));
}

#[test]
fn borrowed_and_owned_c_strings_both_pass() {
    let libc = Library::open("c").unwrap();
    let strlen = libc.func("strlen", Type::Usize, &[Type::CStr]).unwrap();
    let owned = Arg::cstr("hello").unwrap();
    assert_eq!(strlen.call([owned]).unwrap(), Value::Usize(5));
    let borrowed = c"hello, world";
    assert_eq!(
        strlen.call([Arg::from(borrowed)]).unwrap(),
        Value::Usize(12)
    );
    assert!(Arg::cstr("nul\0inside").is_none());
}

#[test]
fn cos_from_libm_returns_a_double() {
    let libm = Library::open("m").unwrap();
    let cos = libm.func("cos", Type::F64, &[Type::F64]).unwrap();
    assert_eq!(cos.call([Arg::F64(0.0)]).unwrap(), Value::F64(1.0));
    let cosf = libm.func("cosf", Type::F32, &[Type::F32]).unwrap();
    assert_eq!(cosf.call([Arg::F32(0.0)]).unwrap(), Value::F32(1.0));
    let pow = libm
        .func("pow", Type::F64, &[Type::F64, Type::F64])
        .unwrap();
    assert_eq!(
        pow.call([Arg::F64(2.0), Arg::F64(10.0)]).unwrap(),
        Value::F64(1024.0)
    );
}

#[test]
fn zlib_compress_uncompress_round_trip_through_buffers() {
    let z = Library::open("z").unwrap();
    // int compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen);
    let compress = z
        .func("compress", Type::I32, &[Type::BufferOut, Type::Buffer])
        .unwrap();
    let uncompress = z
        .func("uncompress", Type::I32, &[Type::BufferOut, Type::Buffer])
        .unwrap();
    let bound = z.func("compressBound", Type::U64, &[Type::U64]).unwrap();

    let data = "interop ".repeat(200).into_bytes();
    let Value::U64(cap) = bound.call([Arg::U64(data.len() as u64)]).unwrap() else {
        panic!("compressBound returned a non-u64");
    };
    let mut packed = vec![0u8; cap as usize];
    let rc = compress
        .call([Arg::BufferOut(&mut packed), Arg::Buffer(&data)])
        .unwrap();
    assert_eq!(rc, Value::I32(0), "Z_OK");
    assert!(packed.len() < data.len() / 10, "{} bytes", packed.len());

    let mut unpacked = vec![0u8; data.len()];
    let rc = uncompress
        .call([Arg::BufferOut(&mut unpacked), Arg::Buffer(&packed)])
        .unwrap();
    assert_eq!(rc, Value::I32(0));
    assert_eq!(unpacked, data);

    // Too small an output buffer: zlib says Z_BUF_ERROR (-5), nothing overruns.
    let mut small = vec![0u8; 10];
    let rc = uncompress
        .call([Arg::BufferOut(&mut small), Arg::Buffer(&packed)])
        .unwrap();
    assert_eq!(rc, Value::I32(-5));
}

#[test]
fn buffer_mut_is_written_in_place() {
    let libc = Library::open("c").unwrap();
    // void explicit_bzero(void *s, size_t n): a (pointer, length) pair written in place.
    let bzero = libc
        .func("explicit_bzero", Type::Void, &[Type::BufferMut])
        .unwrap();
    let mut buf = *b"secret";
    assert_eq!(bzero.call([Arg::BufferMut(&mut buf)]).unwrap(), Value::Void);
    assert_eq!(buf, [0u8; 6]);
}

#[test]
fn arguments_are_checked_against_the_declaration() {
    let libc = Library::open("c").unwrap();
    let atoi = libc.func("atoi", Type::I32, &[Type::CStr]).unwrap();
    let err = atoi.call([Arg::I32(1)]).unwrap_err();
    assert!(matches!(err, FfiError::ArgType { index: 0, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "function `atoi`: argument 0 is a i32, declared cstr"
    );
    let err = atoi.call([]).unwrap_err();
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
    let libc = Library::open("c").unwrap();
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
    let err = Library::open("no-such-library-xyz").unwrap_err();
    assert!(matches!(err, FfiError::LibraryNotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("libno-such-library-xyz.so"),
        "{err}"
    );
}

#[test]
fn returned_strings_and_pointers() {
    let libc = Library::open("c").unwrap();
    let getenv = libc.func("getenv", Type::CStr, &[Type::CStr]).unwrap();
    assert_eq!(
        getenv
            .call([Arg::from("INTEROP_FFI_SURELY_UNSET")])
            .unwrap(),
        Value::CStr(None)
    );
    let strchr = libc
        .func("strchr", Type::Pointer, &[Type::CStr, Type::I32])
        .unwrap();
    let hay = c"abc";
    let Value::Pointer(p) = strchr
        .call([Arg::from(hay), Arg::I32(b'c' as i32)])
        .unwrap()
    else {
        panic!("strchr did not return a pointer");
    };
    assert_eq!(p, hay.as_ptr() as usize + 2);
}
