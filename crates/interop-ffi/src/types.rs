//! The C types a function can be declared with at run time, the arguments passed to it and
//! the values it returns.
//!
//! A declared [`Type`] is what the C prototype says; an [`Arg`] is what the caller passes
//! for it. Scalars map one to one. Three kinds of buffer cover the usual C idioms:
//!
//! | `Type` | C parameters | `Arg` |
//! | --- | --- | --- |
//! | [`Type::Buffer`] | `const uint8_t *ptr, size_t len` | [`Arg::Buffer`] (read by the callee) |
//! | [`Type::BufferMut`] | `uint8_t *ptr, size_t len` | [`Arg::BufferMut`] (written in place) |
//! | [`Type::BufferOut`] | `uint8_t *ptr, size_t *len` | [`Arg::BufferOut`]: `*len` is the capacity on entry and the length written on return (zlib's `compress`) |

use std::borrow::Cow;
use std::ffi::{c_void, CStr, CString};

/// A C type, as declared for a function's return value or one of its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// `void` (return type only).
    Void,
    /// `bool` (`_Bool`, one byte).
    Bool,
    /// `int8_t`.
    I8,
    /// `int16_t`.
    I16,
    /// `int32_t` (`int` on every platform interop runs on).
    I32,
    /// `int64_t` (`long` on LP64 platforms).
    I64,
    /// `uint8_t`.
    U8,
    /// `uint16_t`.
    U16,
    /// `uint32_t`.
    U32,
    /// `uint64_t` (`unsigned long` on LP64 platforms).
    U64,
    /// `size_t`.
    Usize,
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// `const char *`, NUL-terminated. As a return type the string is copied and not
    /// freed (the library owns it).
    CStr,
    /// An opaque pointer (`void *`), passed and returned as an address.
    Pointer,
    /// `const uint8_t *, size_t`: bytes the callee reads (parameters only).
    Buffer,
    /// `uint8_t *, size_t`: bytes the callee may overwrite in place (parameters only).
    BufferMut,
    /// `uint8_t *, size_t *`: a buffer the callee fills, reporting the length it wrote
    /// through the length pointer (parameters only).
    BufferOut,
}

impl Type {
    /// The type's name, as written on the command line and in docs (and read by
    /// `str::parse`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Void => "void",
            Type::Bool => "bool",
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::U8 => "u8",
            Type::U16 => "u16",
            Type::U32 => "u32",
            Type::U64 => "u64",
            Type::Usize => "usize",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::CStr => "cstr",
            Type::Pointer => "pointer",
            Type::Buffer => "buffer",
            Type::BufferMut => "buffer_mut",
            Type::BufferOut => "buffer_out",
        }
    }

    /// Whether this type may be a return type.
    pub fn can_return(self) -> bool {
        !matches!(self, Type::Buffer | Type::BufferMut | Type::BufferOut)
    }

    /// Whether this type may be a parameter type.
    pub fn can_pass(self) -> bool {
        self != Type::Void
    }

    /// The libffi types of the C parameters this declared type stands for.
    pub(crate) fn ffi_params(self) -> Vec<libffi::middle::Type> {
        use libffi::middle::Type as T;
        match self {
            Type::Buffer | Type::BufferMut => vec![T::pointer(), T::usize()],
            Type::BufferOut => vec![T::pointer(), T::pointer()],
            other => vec![other.ffi_scalar()],
        }
    }

    /// The libffi type of a scalar (or of the return value).
    pub(crate) fn ffi_scalar(self) -> libffi::middle::Type {
        use libffi::middle::Type as T;
        match self {
            Type::Void => T::void(),
            Type::Bool | Type::U8 => T::u8(),
            Type::I8 => T::i8(),
            Type::I16 => T::i16(),
            Type::I32 => T::i32(),
            Type::I64 => T::i64(),
            Type::U16 => T::u16(),
            Type::U32 => T::u32(),
            Type::U64 => T::u64(),
            Type::Usize => T::usize(),
            Type::F32 => T::f32(),
            Type::F64 => T::f64(),
            Type::CStr | Type::Pointer | Type::Buffer | Type::BufferMut | Type::BufferOut => {
                T::pointer()
            }
        }
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An argument passed to a declared function; its variant must match the declared [`Type`].
#[derive(Debug)]
pub enum Arg<'a> {
    /// For [`Type::Bool`].
    Bool(bool),
    /// For [`Type::I8`].
    I8(i8),
    /// For [`Type::I16`].
    I16(i16),
    /// For [`Type::I32`].
    I32(i32),
    /// For [`Type::I64`].
    I64(i64),
    /// For [`Type::U8`].
    U8(u8),
    /// For [`Type::U16`].
    U16(u16),
    /// For [`Type::U32`].
    U32(u32),
    /// For [`Type::U64`].
    U64(u64),
    /// For [`Type::Usize`].
    Usize(usize),
    /// For [`Type::F32`].
    F32(f32),
    /// For [`Type::F64`].
    F64(f64),
    /// For [`Type::CStr`]: an owned `CString` or a borrowed `&CStr`. It stays valid for
    /// the duration of the call only.
    CStr(Cow<'a, CStr>),
    /// For [`Type::Pointer`]: an address (a handle a previous call returned, or null).
    Pointer(*mut c_void),
    /// For [`Type::Buffer`].
    Buffer(&'a [u8]),
    /// For [`Type::BufferMut`].
    BufferMut(&'a mut [u8]),
    /// For [`Type::BufferOut`]: its length on entry is the capacity offered to the callee;
    /// after the call it is truncated to the length the callee reported.
    BufferOut(&'a mut Vec<u8>),
}

impl Arg<'_> {
    /// A `cstr` argument from Rust text; `None` if the text contains a NUL byte.
    pub fn cstr(text: &str) -> Option<Arg<'static>> {
        CString::new(text).ok().map(|s| Arg::CStr(Cow::Owned(s)))
    }

    /// The same argument, borrowed again (for another call).
    pub fn reborrow(&mut self) -> Arg<'_> {
        match self {
            Arg::Bool(x) => Arg::Bool(*x),
            Arg::I8(x) => Arg::I8(*x),
            Arg::I16(x) => Arg::I16(*x),
            Arg::I32(x) => Arg::I32(*x),
            Arg::I64(x) => Arg::I64(*x),
            Arg::U8(x) => Arg::U8(*x),
            Arg::U16(x) => Arg::U16(*x),
            Arg::U32(x) => Arg::U32(*x),
            Arg::U64(x) => Arg::U64(*x),
            Arg::Usize(x) => Arg::Usize(*x),
            Arg::F32(x) => Arg::F32(*x),
            Arg::F64(x) => Arg::F64(*x),
            Arg::CStr(c) => Arg::CStr(Cow::Borrowed(&**c)),
            Arg::Pointer(p) => Arg::Pointer(*p),
            Arg::Buffer(b) => Arg::Buffer(b),
            Arg::BufferMut(b) => Arg::BufferMut(b),
            Arg::BufferOut(v) => Arg::BufferOut(v),
        }
    }

    /// The declared type this argument is for.
    pub fn ty(&self) -> Type {
        match self {
            Arg::Bool(_) => Type::Bool,
            Arg::I8(_) => Type::I8,
            Arg::I16(_) => Type::I16,
            Arg::I32(_) => Type::I32,
            Arg::I64(_) => Type::I64,
            Arg::U8(_) => Type::U8,
            Arg::U16(_) => Type::U16,
            Arg::U32(_) => Type::U32,
            Arg::U64(_) => Type::U64,
            Arg::Usize(_) => Type::Usize,
            Arg::F32(_) => Type::F32,
            Arg::F64(_) => Type::F64,
            Arg::CStr(_) => Type::CStr,
            Arg::Pointer(_) => Type::Pointer,
            Arg::Buffer(_) => Type::Buffer,
            Arg::BufferMut(_) => Type::BufferMut,
            Arg::BufferOut(_) => Type::BufferOut,
        }
    }
}

/// Text becomes an owned C string; text with a NUL byte is cut at the first NUL, as C
/// would read it (use [`Arg::cstr`] to refuse it instead).
impl From<&str> for Arg<'static> {
    fn from(text: &str) -> Self {
        let bytes = text.as_bytes();
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        let owned = CString::new(&bytes[..end]).unwrap_or_default();
        Arg::CStr(Cow::Owned(owned))
    }
}

impl<'a> From<&'a CStr> for Arg<'a> {
    fn from(s: &'a CStr) -> Self {
        Arg::CStr(Cow::Borrowed(s))
    }
}

impl From<CString> for Arg<'static> {
    fn from(s: CString) -> Self {
        Arg::CStr(Cow::Owned(s))
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Arg::Buffer(bytes)
    }
}

macro_rules! arg_from_scalar {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Arg<'static> {
            fn from(x: $t) -> Self {
                Arg::$v(x)
            }
        }
    )*};
}
arg_from_scalar!(bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8,
    u16 => U16, u32 => U32, u64 => U64, usize => Usize, f32 => F32, f64 => F64);

/// What a declared function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `void` function returned.
    Void,
    /// `bool`.
    Bool(bool),
    /// `int8_t`.
    I8(i8),
    /// `int16_t`.
    I16(i16),
    /// `int32_t`.
    I32(i32),
    /// `int64_t`.
    I64(i64),
    /// `uint8_t`.
    U8(u8),
    /// `uint16_t`.
    U16(u16),
    /// `uint32_t`.
    U32(u32),
    /// `uint64_t`.
    U64(u64),
    /// `size_t`.
    Usize(usize),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// A `const char *`, copied (lossily, if it is not UTF-8); `None` for a null pointer.
    CStr(Option<String>),
    /// A `void *`, as an address.
    Pointer(usize),
}

impl Value {
    /// The value as an `i64`, for any integer or bool variant.
    pub fn as_i64(&self) -> Option<i64> {
        Some(match *self {
            Value::Bool(b) => i64::from(b),
            Value::I8(x) => x.into(),
            Value::I16(x) => x.into(),
            Value::I32(x) => x.into(),
            Value::I64(x) => x,
            Value::U8(x) => x.into(),
            Value::U16(x) => x.into(),
            Value::U32(x) => x.into(),
            Value::U64(x) => i64::try_from(x).ok()?,
            Value::Usize(x) => i64::try_from(x).ok()?,
            _ => return None,
        })
    }

    /// The value as an `f64`, for the float variants.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(x) => Some(x.into()),
            Value::F64(x) => Some(x),
            _ => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Void => f.write_str("void"),
            Value::Bool(x) => write!(f, "{x}"),
            Value::I8(x) => write!(f, "{x}"),
            Value::I16(x) => write!(f, "{x}"),
            Value::I32(x) => write!(f, "{x}"),
            Value::I64(x) => write!(f, "{x}"),
            Value::U8(x) => write!(f, "{x}"),
            Value::U16(x) => write!(f, "{x}"),
            Value::U32(x) => write!(f, "{x}"),
            Value::U64(x) => write!(f, "{x}"),
            Value::Usize(x) => write!(f, "{x}"),
            Value::F32(x) => write!(f, "{x}"),
            Value::F64(x) => write!(f, "{x}"),
            Value::CStr(Some(s)) => write!(f, "{s:?}"),
            Value::CStr(None) => f.write_str("NULL"),
            Value::Pointer(p) => write!(f, "{p:#x}"),
        }
    }
}
