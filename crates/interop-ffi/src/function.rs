//! A C function declared at run time and called through libffi.
//!
//! The call interface (`ffi_cif`) is prepared once, when the function is declared; a call
//! then only marshals its arguments into a small array of slots and lets libffi do the
//! platform's calling convention. Arguments are checked against the declaration before
//! anything is called.

use std::ffi::{c_char, c_void, CStr};
use std::mem::MaybeUninit;

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
    /// Whether a `buffer_out` parameter needs lengths passed by pointer.
    has_buffer_out: bool,
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

/// C parameters marshalled on the stack; more spill to the heap.
const INLINE: usize = 8;

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
            has_buffer_out: params.contains(&Type::BufferOut),
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

    /// Calls the function. Each argument must match its declared type (checked: an
    /// [`FfiError`] otherwise); buffers declared `buffer_mut` or `buffer_out` are written by
    /// the callee, and a `buffer_out` vector is truncated to the length the callee
    /// reported.
    ///
    /// # Safety
    /// This runs arbitrary native code in this process, which nothing here can check. The
    /// caller must ensure that:
    /// - the declaration matches the C function's prototype (return and parameter types,
    ///   and how each buffer is passed);
    /// - the arguments meet the function's own contract: a `pointer` is what the function
    ///   expects there (`strlen` of a null `pointer` dereferences null), a buffer is as
    ///   large as the function believes (a `buffer_out`'s capacity is the length it writes
    ///   up to), a handle is still alive;
    /// - what the function does besides (global state, threads, freeing memory it was
    ///   given, keeping pointers past the call) breaks none of this program's invariants.
    ///
    /// Anything else is undefined behaviour, exactly as in C.
    ///
    /// ```compile_fail,E0133
    /// use interop_ffi::{Arg, Library, Type};
    ///
    /// // SAFETY: libc's initialisers are already run by this process.
    /// let libc = unsafe { Library::open("c") }.unwrap();
    /// let strlen = libc.func("strlen", Type::Usize, &[Type::Pointer]).unwrap();
    /// // Refused by the compiler: the call needs an `unsafe` block, whose author answers
    /// // for the null pointer.
    /// let _ = strlen.call([Arg::Pointer(std::ptr::null_mut())]);
    /// ```
    pub unsafe fn call<'a>(&self, mut args: impl AsMut<[Arg<'a>]>) -> Result<Value, FfiError> {
        let args = args.as_mut();
        if args.len() != self.params.len()
            || args
                .iter()
                .zip(&self.params)
                .any(|(arg, ty)| arg.ty() != *ty)
        {
            return Err(self.mismatch(args));
        }

        // Slots hold each C parameter's value, `lens` the lengths `buffer_out` passes by
        // pointer, `ptrs` the address of each slot (what libffi reads). Up to INLINE
        // parameters live on the stack, uninitialised: a call neither allocates nor
        // zero-fills (which, for three small arrays, cost as much as the marshalling).
        // Every slot, length and pointer libffi or this function reads is written first,
        // and none of them moves while the addresses taken below are in use.
        let n = self.c_params;
        let mut slots_inline = [MaybeUninit::<Slot>::uninit(); INLINE];
        let mut slots_heap: Vec<MaybeUninit<Slot>>;
        let slots: &mut [MaybeUninit<Slot>] = if n <= INLINE {
            &mut slots_inline[..n]
        } else {
            slots_heap = vec![MaybeUninit::uninit(); n];
            &mut slots_heap
        };
        let mut lens_inline = [MaybeUninit::<usize>::uninit(); INLINE];
        let mut lens_heap: Vec<MaybeUninit<usize>>;
        let lens: &mut [MaybeUninit<usize>] = if !self.has_buffer_out {
            &mut []
        } else if args.len() <= INLINE {
            &mut lens_inline[..args.len()]
        } else {
            lens_heap = vec![MaybeUninit::uninit(); args.len()];
            &mut lens_heap
        };
        let mut s = 0;
        for (i, arg) in args.iter_mut().enumerate() {
            let slot = &mut slots[s..];
            // SAFETY (all writes below): each slot is a u64, aligned and large enough for
            // any scalar or pointer written at its start; a buffer's two parameters have
            // two slots (`c_params` counted them).
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
                        lens[i].write(v.len());
                        put(slot, v.as_mut_ptr());
                        put(&mut slot[1..], lens[i].as_mut_ptr());
                    }
                }
            }
            s += match arg {
                Arg::Buffer(_) | Arg::BufferMut(_) | Arg::BufferOut(_) => 2,
                _ => 1,
            };
        }
        let mut ptrs_inline = [MaybeUninit::<*mut c_void>::uninit(); INLINE];
        let mut ptrs_heap: Vec<MaybeUninit<*mut c_void>>;
        let ptrs: &mut [MaybeUninit<*mut c_void>] = if n <= INLINE {
            &mut ptrs_inline[..n]
        } else {
            ptrs_heap = vec![MaybeUninit::uninit(); n];
            &mut ptrs_heap
        };
        for (p, slot) in ptrs.iter_mut().zip(slots.iter_mut()) {
            p.write(slot.as_mut_ptr().cast());
        }

        // Two words hold any return type declared here. libffi writes a small integer
        // widened to a whole `ffi_arg` and anything else at its exact size, at the start;
        // `read_return` reads it back the same way. Calling `ffi_call` directly (rather
        // than libffi's `call_return_into`) saves a copy of the value.
        let mut ret = MaybeUninit::<[u64; 2]>::uninit();
        // SAFETY: the cif was prepared from the declaration, the arguments were checked
        // against it and every one of the `n` pointers points into `slots` (initialised
        // above), whose values point to `lens` or the caller's buffers, all alive for the
        // call; `ret` is aligned and large enough for any declared return type. The
        // declaration matching the C function, and the arguments meeting its contract,
        // are the caller's (see `# Safety`).
        unsafe {
            libffi::raw::ffi_call(
                self.cif.as_raw_ptr(),
                Some(*CodePtr::from_ptr(self.code).as_safe_fun()),
                ret.as_mut_ptr().cast(),
                ptrs.as_mut_ptr().cast(),
            );
        }

        if self.has_buffer_out {
            for (index, arg) in args.iter_mut().enumerate() {
                if let Arg::BufferOut(v) = arg {
                    // SAFETY: written before the call for every `buffer_out`; the callee
                    // may have changed the value, not made it uninitialised.
                    let reported = unsafe { lens[index].assume_init() };
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
        }
        // SAFETY: libffi wrote the return value at the start of `ret`.
        Ok(unsafe { read_return(self.ret, ret.as_ptr().cast()) })
    }
}

impl Function {
    /// The error for arguments that do not match the declaration: kept out of the call's
    /// path, which only compares.
    #[cold]
    fn mismatch(&self, args: &[Arg<'_>]) -> FfiError {
        if args.len() != self.params.len() {
            return FfiError::ArgCount {
                function: self.name.clone(),
                expected: self.params.len(),
                got: args.len(),
            };
        }
        // `call` found a mismatch, so `find_map` does too; the fallback is never used.
        let (index, expected, got) = args
            .iter()
            .zip(&self.params)
            .enumerate()
            .find_map(|(index, (arg, ty))| (arg.ty() != *ty).then(|| (index, *ty, arg.ty())))
            .unwrap_or((0, Type::Void, Type::Void));
        FfiError::ArgType {
            function: self.name.clone(),
            index,
            expected,
            got,
        }
    }
}

/// Writes `value` at the start of `slot[0]`.
///
/// # Safety
/// `T` must fit in (and be no more aligned than) a `u64`.
#[inline(always)]
unsafe fn put<T>(slot: &mut [MaybeUninit<Slot>], value: T) {
    debug_assert!(std::mem::size_of::<T>() <= std::mem::size_of::<Slot>());
    std::ptr::write(slot.as_mut_ptr().cast::<T>(), value);
}

/// Reads the return value libffi wrote at `start`.
///
/// # Safety
/// `start` must point to the return value of a call prepared with return type `ty`: for
/// an integer smaller than a register, a whole `ffi_arg` (libffi widens those); for
/// anything else, a value of the type itself.
#[inline]
unsafe fn read_return(ty: Type, start: *const u64) -> Value {
    use libffi::raw::ffi_arg;
    // The narrow integers are read as the `ffi_arg` libffi widened them to and truncated,
    // which keeps their low-order bits on either byte order.
    unsafe {
        match ty {
            Type::Void => Value::Void,
            Type::Bool => Value::Bool(read::<ffi_arg>(start) as u8 != 0),
            Type::I8 => Value::I8(read::<ffi_arg>(start) as i8),
            Type::I16 => Value::I16(read::<ffi_arg>(start) as i16),
            Type::I32 => Value::I32(read::<ffi_arg>(start) as i32),
            Type::I64 => Value::I64(read(start)),
            Type::U8 => Value::U8(read::<ffi_arg>(start) as u8),
            Type::U16 => Value::U16(read::<ffi_arg>(start) as u16),
            Type::U32 => Value::U32(read::<ffi_arg>(start) as u32),
            Type::U64 => Value::U64(read(start)),
            Type::Usize => Value::Usize(read(start)),
            Type::F32 => Value::F32(read(start)),
            Type::F64 => Value::F64(read(start)),
            Type::Pointer => Value::Pointer(read::<usize>(start)),
            Type::CStr => {
                let p = read::<*const c_char>(start);
                if p.is_null() {
                    Value::CStr(None)
                } else {
                    // The declaration says the function returns a NUL-terminated string;
                    // it is copied before anything else runs.
                    Value::CStr(Some(CStr::from_ptr(p).to_string_lossy().into_owned()))
                }
            }
            Type::Buffer | Type::BufferMut | Type::BufferOut => Value::Void,
        }
    }
}

/// Reads a `T` at the start of the return buffer.
///
/// # Safety
/// A `T` must have been written there.
unsafe fn read<T: Copy>(start: *const u64) -> T {
    unsafe { std::ptr::read(start.cast::<T>()) }
}

impl Library {
    /// Whether the library exports `symbol` (without declaring it).
    pub fn has_symbol(&self, symbol: &str) -> bool {
        !symbol.contains('\0')
            // SAFETY: only the presence of the symbol is checked.
            && unsafe { self.raw().get::<*const c_void>(symbol.as_bytes()) }.is_ok()
    }
}
