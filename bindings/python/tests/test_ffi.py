"""interop.ffi: C functions called with declared types."""

import pytest

import interop
from interop import ffi


def test_atoi_declared_with_types_returns_123():
    atoi = ffi.load("c").func("atoi", restype="i64", argtypes=["cstr"])
    assert atoi("123") == 123


def test_libm_cos_takes_and_returns_doubles():
    cos = ffi.load("m").func("cos", restype="f64", argtypes=["f64"])
    assert cos(0.0) == 1.0


def test_a_cstr_argument_may_be_bytes():
    strlen = ffi.load("c").func("strlen", restype="usize", argtypes=["cstr"])
    assert strlen(b"hello") == 5


def test_a_buffer_mut_argument_is_written_in_place():
    getentropy = ffi.load("c").func("getentropy", restype="i32", argtypes=["buffer_mut"])
    buf = bytearray(32)
    assert getentropy(buf) == 0
    assert buf != bytearray(32)


def test_pointers_round_trip_as_addresses():
    libc = ffi.load("c")
    malloc = libc.func("malloc", restype="pointer", argtypes=["usize"])
    free = libc.func("free", argtypes=["pointer"])
    address = malloc(64)
    assert isinstance(address, int) and address != 0
    assert free(address) is None


def test_a_string_with_a_nul_byte_is_refused():
    atoi = ffi.load("c").func("atoi", restype="i32", argtypes=["cstr"])
    with pytest.raises(interop.InvalidInput, match="NUL"):
        atoi("1\x002")


def test_a_wrong_number_of_arguments_is_refused_before_the_call():
    atoi = ffi.load("c").func("atoi", restype="i32", argtypes=["cstr"])
    with pytest.raises(interop.InvalidInput, match="takes 1"):
        atoi("1", "2")


def test_an_argument_of_the_wrong_type_names_its_declaration():
    atoi = ffi.load("c").func("atoi", restype="i32", argtypes=["cstr"])
    with pytest.raises(interop.InvalidInput, match="cstr"):
        atoi(12)


def test_an_unknown_type_name_is_refused():
    with pytest.raises(interop.InvalidInput, match="restype"):
        ffi.load("c").func("atoi", restype="int128", argtypes=["cstr"])


def test_a_missing_symbol_raises_not_found():
    with pytest.raises(interop.NotFound, match="no_such_function"):
        ffi.load("c").func("no_such_function", restype="i32")


def test_a_missing_library_raises_not_found():
    with pytest.raises(interop.NotFound):
        ffi.load("no-such-library-anywhere")
