//! `interop ffi call`: C functions called with types declared on the command line.

#![cfg(feature = "ffi")]

use crate::common;

use common::{interop, text};

#[test]
fn atoi_cos_and_pow_answer_with_declared_types() {
    for (args, expected) in [
        (
            &["c", "atoi", "--ret", "i32", "--arg", "cstr:123"][..],
            "123",
        ),
        (&["m", "cos", "--ret", "f64", "--arg", "f64:0"][..], "1"),
        (
            &[
                "m", "pow", "--ret", "double", "--arg", "f64:2", "--arg", "f64:10",
            ][..],
            "1024",
        ),
    ] {
        let out = interop(&[&["ffi", "call"][..], args].concat());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), expected, "{args:?}");
    }
}

#[test]
fn buffers_the_callee_writes_are_printed_after_the_result() {
    // void explicit_bzero(void *s, size_t n)
    let out = interop(&[
        "ffi",
        "call",
        "c",
        "explicit_bzero",
        "--arg",
        "buffer_mut:ab",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "void\narg 0: \\0\\0\n");
}

#[test]
fn bad_types_and_arguments_say_what_was_expected() {
    let out = interop(&["ffi", "call", "c", "atoi", "--arg", "i8:300"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--arg: `i8:300`: expected an integer in the type's range"),
        "{stderr}"
    );
    let out = interop(&["ffi", "call", "c", "atoi", "--arg", "123"]);
    assert!(
        text(&out.stderr).contains("`123`: expected TYPE:VALUE"),
        "{}",
        text(&out.stderr)
    );
    let out = interop(&["ffi", "call", "c", "atoi", "--ret", "int32"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown type `int32`: expected one of void, bool"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_help_says_the_call_runs_arbitrary_native_code_in_this_process() {
    let out = interop(&["ffi", "call", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("runs arbitrary native code in this process"),
        "{help}"
    );
}
