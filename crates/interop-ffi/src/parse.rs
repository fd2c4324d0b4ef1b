//! Declared types and arguments written as text, as on the command line and in the docs:
//! a [`Type`] is its name (`i32`, `cstr`, `buffer_out`), an argument is `TYPE:VALUE`
//! (`cstr:123`, `f64:0.5`, `i32:-1`, `buffer_out:64`), parsed into an [`OwnedArg`].

use std::ffi::c_void;
use std::str::FromStr;

use crate::{Arg, Type};

/// Why a type or an argument could not be read from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The name is not a type.
    #[error("unknown type `{0}`: expected one of {TYPE_NAMES}")]
    UnknownType(String),
    /// An argument without the `TYPE:` part.
    #[error("`{0}`: expected TYPE:VALUE, e.g. cstr:123, f64:0.5, i32:-1")]
    NoType(String),
    /// `void` (or another type no argument can have).
    #[error("`{spec}`: `{ty}` is not an argument type")]
    NotAnArgument {
        /// The argument as written.
        spec: String,
        /// Its type.
        ty: Type,
    },
    /// The value does not fit the type.
    #[error("`{spec}`: expected {expected}: {reason}")]
    BadValue {
        /// The argument as written.
        spec: String,
        /// What a value of its type looks like.
        expected: &'static str,
        /// Why this one is not one.
        reason: String,
    },
}

const TYPE_NAMES: &str = "void, bool, i8, i16, i32, i64, u8, u16, u32, u64, usize, f32, f64, \
                          cstr, pointer, buffer, buffer_mut, buffer_out";

/// Reads the names of [`Type::name`], and the C spellings `int`, `long`, `size_t`,
/// `float`, `double`, `str`, `string` and `ptr`; case does not matter.
impl FromStr for Type {
    type Err = ParseError;

    fn from_str(name: &str) -> Result<Type, ParseError> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "void" => Type::Void,
            "bool" => Type::Bool,
            "i8" => Type::I8,
            "i16" => Type::I16,
            "i32" | "int" => Type::I32,
            "i64" | "long" => Type::I64,
            "u8" => Type::U8,
            "u16" => Type::U16,
            "u32" => Type::U32,
            "u64" => Type::U64,
            "usize" | "size_t" => Type::Usize,
            "f32" | "float" => Type::F32,
            "f64" | "double" => Type::F64,
            "cstr" | "str" | "string" => Type::CStr,
            "pointer" | "ptr" => Type::Pointer,
            "buffer" => Type::Buffer,
            "buffer_mut" => Type::BufferMut,
            "buffer_out" => Type::BufferOut,
            _ => return Err(ParseError::UnknownType(name.to_owned())),
        })
    }
}

/// An argument that owns its value, read from `TYPE:VALUE`; [`OwnedArg::as_arg`] lends it
/// to a call.
///
/// Values: numbers as Rust writes them (`-1`, `0.5`, `1e3`), `true`/`false`, text for
/// `cstr` (no NUL byte), an address for `pointer` (decimal or `0x` hex), the bytes of the
/// text for `buffer` and `buffer_mut`, and the capacity in bytes for `buffer_out`.
#[derive(Debug)]
pub enum OwnedArg {
    /// A scalar, a C string or a pointer.
    Value(Arg<'static>),
    /// A buffer of type `buffer`, `buffer_mut` or `buffer_out`, with its bytes (for
    /// `buffer_out`, as many zeros as the capacity).
    Bytes(Type, Vec<u8>),
}

impl OwnedArg {
    /// The declared type the argument is for.
    pub fn ty(&self) -> Type {
        match self {
            OwnedArg::Value(arg) => arg.ty(),
            OwnedArg::Bytes(ty, _) => *ty,
        }
    }

    /// The argument, lent to one call.
    pub fn as_arg(&mut self) -> Arg<'_> {
        match self {
            OwnedArg::Value(arg) => arg.reborrow(),
            OwnedArg::Bytes(Type::Buffer, bytes) => Arg::Buffer(bytes),
            OwnedArg::Bytes(Type::BufferMut, bytes) => Arg::BufferMut(bytes),
            OwnedArg::Bytes(_, bytes) => Arg::BufferOut(bytes),
        }
    }

    /// What the callee wrote, for `buffer_mut` and `buffer_out` (after the call).
    pub fn written(&self) -> Option<&[u8]> {
        match self {
            OwnedArg::Bytes(Type::BufferMut | Type::BufferOut, bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl FromStr for OwnedArg {
    type Err = ParseError;

    fn from_str(spec: &str) -> Result<OwnedArg, ParseError> {
        let (ty, value) = spec
            .split_once(':')
            .ok_or_else(|| ParseError::NoType(spec.to_owned()))?;
        let ty: Type = ty.parse()?;
        let bad = |expected: &'static str| {
            move |reason: &dyn std::fmt::Display| ParseError::BadValue {
                spec: spec.to_owned(),
                expected,
                reason: reason.to_string(),
            }
        };
        fn num<T: FromStr>(
            value: &str,
            bad: impl Fn(&dyn std::fmt::Display) -> ParseError,
        ) -> Result<T, ParseError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| bad(&e))
        }
        let integer = "an integer in the type's range";
        let number = "a number, e.g. 0.5 or -1e3";
        Ok(OwnedArg::Value(match ty {
            Type::Void => {
                return Err(ParseError::NotAnArgument {
                    spec: spec.to_owned(),
                    ty,
                })
            }
            Type::Bool => Arg::Bool(num(value, bad("true or false"))?),
            Type::I8 => Arg::I8(num(value, bad(integer))?),
            Type::I16 => Arg::I16(num(value, bad(integer))?),
            Type::I32 => Arg::I32(num(value, bad(integer))?),
            Type::I64 => Arg::I64(num(value, bad(integer))?),
            Type::U8 => Arg::U8(num(value, bad(integer))?),
            Type::U16 => Arg::U16(num(value, bad(integer))?),
            Type::U32 => Arg::U32(num(value, bad(integer))?),
            Type::U64 => Arg::U64(num(value, bad(integer))?),
            Type::Usize => Arg::Usize(num(value, bad(integer))?),
            Type::F32 => Arg::F32(num(value, bad(number))?),
            Type::F64 => Arg::F64(num(value, bad(number))?),
            Type::CStr => Arg::cstr(value)
                .ok_or_else(|| bad("text without NUL bytes")(&"it contains a NUL byte"))?,
            Type::Pointer => {
                let bad = bad("an address, decimal or 0x hexadecimal");
                let address = match value.strip_prefix("0x") {
                    Some(hex) => usize::from_str_radix(hex, 16).map_err(|e| bad(&e))?,
                    None => num(value, bad)?,
                };
                Arg::Pointer(address as *mut c_void)
            }
            Type::Buffer | Type::BufferMut => {
                return Ok(OwnedArg::Bytes(ty, value.as_bytes().to_vec()))
            }
            Type::BufferOut => {
                let capacity: usize = num(value, bad("a capacity in bytes"))?;
                return Ok(OwnedArg::Bytes(ty, vec![0; capacity]));
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_by_name_and_by_their_c_spelling() {
        assert_eq!("i32".parse(), Ok(Type::I32));
        assert_eq!("size_t".parse(), Ok(Type::Usize));
        assert_eq!("Double".parse(), Ok(Type::F64));
        let err = "int32".parse::<Type>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown type `int32`: expected one of void, bool,"),
            "{err}"
        );
    }

    #[test]
    fn arguments_are_type_colon_value() {
        let mut arg: OwnedArg = "cstr:123".parse().unwrap();
        assert_eq!(arg.ty(), Type::CStr);
        assert!(matches!(arg.as_arg(), Arg::CStr(c) if c.to_bytes() == b"123"));
        assert!(matches!(
            "f64:0".parse(),
            Ok(OwnedArg::Value(Arg::F64(0.0)))
        ));
        assert!(matches!(
            "i32:-1".parse(),
            Ok(OwnedArg::Value(Arg::I32(-1)))
        ));
        assert!(matches!(
            "pointer:0x10".parse(),
            Ok(OwnedArg::Value(Arg::Pointer(p))) if p as usize == 16
        ));
        let out: OwnedArg = "buffer_out:4".parse().unwrap();
        assert_eq!(out.written(), Some(&[0u8; 4][..]));
        let text: OwnedArg = "buffer:a:b".parse().unwrap();
        assert!(matches!(text, OwnedArg::Bytes(Type::Buffer, ref b) if b == b"a:b"));
    }

    #[test]
    fn bad_arguments_say_what_was_expected() {
        let err = |spec: &str| spec.parse::<OwnedArg>().unwrap_err().to_string();
        assert_eq!(
            err("123"),
            "`123`: expected TYPE:VALUE, e.g. cstr:123, f64:0.5, i32:-1"
        );
        assert_eq!(
            err("i8:300"),
            "`i8:300`: expected an integer in the type's range: number too large to fit in \
             target type"
        );
        assert_eq!(
            err("f64:abc"),
            "`f64:abc`: expected a number, e.g. 0.5 or -1e3: invalid float literal"
        );
        assert_eq!(err("void:1"), "`void:1`: `void` is not an argument type");
        assert!(err("wat:1").starts_with("unknown type `wat`"));
        assert_eq!(
            err("cstr:a\0b"),
            "`cstr:a\0b`: expected text without NUL bytes: it contains a NUL byte"
        );
    }
}
