//! A C function declared at run time and called through libffi.
//!
//! The call interface (`ffi_cif`) is prepared once, when the function is declared; a call
//! then only marshals its arguments into a small array of slots and lets libffi do the
//! platform's calling convention. Arguments are checked against the declaration before
//! anything is called.

use std::ffi::{c_char, c_void, CStr};

use libffi::middle::{Cif, CodePtr};

use crate::{Arg, FfiError, Library, Type, Value};

/// A declared function of an open [`Library`]. Keeps the library loaded.
pub struct Function {
    library: Library,
    name: String,
    code: *const c_void,
    ret: Type,
    params: Vec<Type>,
    /// Number of C parameters (buffers take two).
    c_params: usize,
    cif: Cif,
}

// SAFETY: `cif` is prepared once in `new` and only read afterwards (`ffi_call` does not
// mutate it), and `code` is the address of a function in a library kept loaded by
// `library`. Whether the C function itself is thread-safe is part of the caller's
// declaration, as it is in C.
unsafe impl Send for Function {}
// SAFETY: see `Send`: no interior mutability.
unsafe impl Sync for Function {}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}(", self.ret, self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        write!(f, ") in {}", self.library.name())
    }
}

/// One argument's storage: large and aligned enough for any scalar or pointer.
type Slot = u64;

impl Function {
    pub(crate) fn new(
        library: Library,
        name: &str,
        code: *const c_void,
        ret: Type,
        params: &[Type],
    ) -> Result<Function, FfiError> {
        let bad = |message: String| FfiError::Signature {
            function: name.to_owned(),
            message,
        };
        if !ret.can_return() {
            return Err(bad(format!("`{ret}` cannot be a return type")));
        }
        if let Some(p) = params.iter().find(|p| !p.can_pass()) {
            return Err(bad(format!("`{p}` cannot be a parameter type")));
        }
        let ffi_params: Vec<libffi::middle::Type> =
            params.iter().flat_map(|p| p.ffi_params()).collect();
        let c_params = ffi_params.len();
        let cif = Cif::try_new(ffi_params, ret.ffi_scalar())
            .map_err(|e| bad(format!("libffi cannot prepare the call: {e:?}")))?;
        Ok(Function {
            library,
            name: name.to_owned(),
            code,
            ret,
            params: params.to_vec(),
            c_params,
            cif,
        })
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared return type.
    pub fn ret(&self) -> Type {
        self.ret
    }

    /// The declared parameter types.
    pub fn params(&self) -> &[Type] {
        &self.params
    }

    /// Calls the function. Each argument must match its declared type; buffers declared
    /// `buffer_mut` or `buffer_out` are written by the callee, and a `buffer_out` vector is
    /// truncated to the length the callee reported.
    ///
    /// The call is as safe as the declaration is right: a declaration that does not match
    /// the C function is undefined behaviour, as in C.
    pub fn call<'a>(&self, mut args: impl AsMut<[Arg<'a>]>) -> Result<Value, FfiError> {
        let args = args.as_mut();
        if args.len() != self.params.len() {
            return Err(FfiError::ArgCount {
                function: self.name.clone(),
                expected: self.params.len(),
                got: args.len(),
            });
        }
        for (index, (arg, ty)) in args.iter().zip(&self.params).enumerate() {
            if arg.ty() != *ty {
                return Err(FfiError::ArgType {
                    function: self.name.clone(),
                    index,
                    expected: *ty,
                    got: arg.ty(),
                });
            }
        }

        // Slots hold each C parameter's value; `lens` the lengths `buffer_out` passes by
        // pointer. Both are sized up front and never grow, so the addresses taken below
        // stay valid for the call.
        let mut slots: Vec<Slot> = vec![0; self.c_params];
        let mut lens: Vec<usize> = args
            .iter()
            .map(|a| match a {
                Arg::BufferOut(v) => v.len(),
                _ => 0,
            })
            .collect();
        let mut s = 0;
        for (i, arg) in args.iter_mut().enumerate() {
            let slot = &mut slots[s..];
            // SAFETY (all writes below): each slot is a u64, aligned and large enough for
            // any scalar or pointer written at its start.
            unsafe {
                match arg {
                    Arg::Bool(x) => put(slot, u8::from(*x)),
                    Arg::I8(x) => put(slot, *x),
                    Arg::I16(x) => put(slot, *x),
                    Arg::I32(x) => put(slot, *x),
                    Arg::I64(x) => put(slot, *x),
                    Arg::U8(x) => put(slot, *x),
                    Arg::U16(x) => put(slot, *x),
                    Arg::U32(x) => put(slot, *x),
                    Arg::U64(x) => put(slot, *x),
                    Arg::Usize(x) => put(slot, *x),
                    Arg::F32(x) => put(slot, *x),
                    Arg::F64(x) => put(slot, *x),
                    Arg::CStr(c) => put(slot, c.as_ptr()),
                    Arg::Pointer(p) => put(slot, *p),
                    Arg::Buffer(b) => {
                        put(slot, b.as_ptr());
                        put(&mut slot[1..], b.len());
                    }
                    Arg::BufferMut(b) => {
                        put(slot, b.as_mut_ptr());
                        put(&mut slot[1..], b.len());
                    }
                    Arg::BufferOut(v) => {
                        put(slot, v.as_mut_ptr());
                        put(&mut slot[1..], &mut lens[i] as *mut usize);
                    }
                }
            }
            s += match arg {
                Arg::Buffer(_) | Arg::BufferMut(_) | Arg::BufferOut(_) => 2,
                _ => 1,
            };
        }
        let ffi_args: Vec<libffi::middle::Arg> =
            slots.iter().map(libffi::middle::Arg::new).collect();

        // Integer results narrower than a register come back widened to `ffi_arg`; two
        // words cover every return type declared here.
        let mut ret = [0u64; 2];
        // SAFETY: the cif was prepared from the declaration, the arguments were checked
        // against it and point into `slots`/`lens`/the caller's buffers, all alive for the
        // call; `ret` is large enough for any declared return type. The declaration
        // matching the C function is the caller's contract (see above).
        unsafe {
            self.cif.call_return_into(
                CodePtr::from_ptr(self.code),
                &ffi_args,
                libffi::middle::Ret::new(&mut ret),
            );
        }

        for (index, arg) in args.iter_mut().enumerate() {
            if let Arg::BufferOut(v) = arg {
                let reported = lens[index];
                if reported > v.len() {
                    return Err(FfiError::BufferOverrun {
                        function: self.name.clone(),
                        index,
                        reported,
                        capacity: v.len(),
                    });
                }
                v.truncate(reported);
            }
        }
        Ok(read_return(self.ret, &ret))
    }
}

/// Writes `value` at the start of `slot[0]`.
///
/// # Safety
/// `T` must fit in (and be no more aligned than) a `u64`.
unsafe fn put<T>(slot: &mut [Slot], value: T) {
    debug_assert!(std::mem::size_of::<T>() <= std::mem::size_of::<Slot>());
    std::ptr::write(slot.as_mut_ptr().cast::<T>(), value);
}

fn read_return(ty: Type, ret: &[u64; 2]) -> Value {
    let word = ret[0];
    let start = ret.as_ptr();
    match ty {
        Type::Void => Value::Void,
        Type::Bool => Value::Bool(word as u8 != 0),
        Type::I8 => Value::I8(word as i8),
        Type::I16 => Value::I16(word as i16),
        Type::I32 => Value::I32(word as i32),
        Type::I64 => Value::I64(word as i64),
        Type::U8 => Value::U8(word as u8),
        Type::U16 => Value::U16(word as u16),
        Type::U32 => Value::U32(word as u32),
        Type::U64 => Value::U64(word),
        Type::Usize => Value::Usize(word as usize),
        // SAFETY: libffi stores a float result at the start of the (aligned) buffer.
        Type::F32 => Value::F32(unsafe { std::ptr::read(start.cast::<f32>()) }),
        // SAFETY: as above, for a double.
        Type::F64 => Value::F64(unsafe { std::ptr::read(start.cast::<f64>()) }),
        Type::Pointer => Value::Pointer(word as usize),
        Type::CStr => {
            let p = word as usize as *const c_char;
            if p.is_null() {
                Value::CStr(None)
            } else {
                // SAFETY: the declaration says the function returns a NUL-terminated
                // string; it is copied before anything else runs.
                let s = unsafe { CStr::from_ptr(p) };
                Value::CStr(Some(s.to_string_lossy().into_owned()))
            }
        }
        Type::Buffer | Type::BufferMut | Type::BufferOut => Value::Void,
    }
}

impl Library {
    /// Whether the library exports `symbol` (without declaring it).
    pub fn has_symbol(&self, symbol: &str) -> bool {
        !symbol.contains('\0')
            // SAFETY: only the presence of the symbol is checked.
            && unsafe { self.raw().get::<*const c_void>(symbol.as_bytes()) }.is_ok()
    }
}
