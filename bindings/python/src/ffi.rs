//! `interop.ffi`: C functions called with declared types through interop-ffi
//! (`load('c').func('atoi', restype='i64', argtypes=['cstr'])('123') == 123`).
//!
//! As with `ctypes`, calling a C function runs native code in this process: the Python
//! caller answers for the library it loads and for each declaration matching its
//! function.

use std::borrow::Cow;
use std::ffi::{c_void, CString};

use interop_ffi::{Arg, Function, Library, Type, Value};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyTuple};

use crate::errors::{invalid, IntoPy};

/// An open shared library.
#[pyclass(name = "Library", module = "interop.ffi", frozen)]
pub struct PyLibrary {
    inner: Library,
}

/// Opens a library by short name (`'c'`, `'m'`, `'z'`) or by path.
#[pyfunction]
pub fn load(name: &str) -> PyResult<PyLibrary> {
    // SAFETY: loading runs the library's initialisers; the Python caller trusts the
    // library it names, as it would with ctypes (see the module docs).
    let inner = unsafe { Library::open(name) }.py_err()?;
    Ok(PyLibrary { inner })
}

fn parse_type(text: &str, what: &str) -> PyResult<Type> {
    text.parse::<Type>()
        .map_err(|e| invalid(format!("{what}: {e}")))
}

#[pymethods]
impl PyLibrary {
    /// The file the library was loaded from.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The function `name`, declared as returning `restype` and taking `argtypes`
    /// (`i32`, `i64`, `u8`..., `f64`, `bool`, `cstr`, `pointer`, `buffer`, `buffer_mut`,
    /// `buffer_out`).
    #[pyo3(signature = (name, restype="void", argtypes=Vec::new()))]
    fn func(&self, name: &str, restype: &str, argtypes: Vec<String>) -> PyResult<PyFunction> {
        let ret = parse_type(restype, "restype")?;
        let params = argtypes
            .iter()
            .enumerate()
            .map(|(i, t)| parse_type(t, &format!("argtypes[{i}]")))
            .collect::<PyResult<Vec<_>>>()?;
        let inner = self.inner.func(name, ret, &params).py_err()?;
        Ok(PyFunction { inner })
    }

    /// Whether the library exports `symbol`.
    fn has_symbol(&self, symbol: &str) -> bool {
        self.inner.has_symbol(symbol)
    }

    fn __repr__(&self) -> String {
        format!("<interop.ffi.Library {:?}>", self.inner.name())
    }
}

/// A declared C function, callable like a Python function.
#[pyclass(name = "Function", module = "interop.ffi", frozen)]
pub struct PyFunction {
    inner: Function,
}

/// An argument converted from Python, owning what the call borrows.
enum Owned {
    Scalar(Arg<'static>),
    Bytes(Vec<u8>),
    Mutable(Vec<u8>, Py<PyByteArray>),
    Out(Vec<u8>),
}

fn owned(ty: Type, obj: &Bound<'_, PyAny>, index: usize) -> PyResult<Owned> {
    let bad = |expected: &str| {
        invalid(format!(
            "argument {index} is declared {ty}: expected {expected}, got a `{}`",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    };
    let int = || obj.extract::<i128>().map_err(|_| bad("an int"));
    let narrow = |v: i128| invalid(format!("argument {index}: {v} does not fit in a {ty}"));
    Ok(Owned::Scalar(match ty {
        Type::Bool => Arg::Bool(obj.extract::<bool>().map_err(|_| bad("a bool"))?),
        Type::I8 => Arg::I8(int().and_then(|v| i8::try_from(v).map_err(|_| narrow(v)))?),
        Type::I16 => Arg::I16(int().and_then(|v| i16::try_from(v).map_err(|_| narrow(v)))?),
        Type::I32 => Arg::I32(int().and_then(|v| i32::try_from(v).map_err(|_| narrow(v)))?),
        Type::I64 => Arg::I64(int().and_then(|v| i64::try_from(v).map_err(|_| narrow(v)))?),
        Type::U8 => Arg::U8(int().and_then(|v| u8::try_from(v).map_err(|_| narrow(v)))?),
        Type::U16 => Arg::U16(int().and_then(|v| u16::try_from(v).map_err(|_| narrow(v)))?),
        Type::U32 => Arg::U32(int().and_then(|v| u32::try_from(v).map_err(|_| narrow(v)))?),
        Type::U64 => Arg::U64(int().and_then(|v| u64::try_from(v).map_err(|_| narrow(v)))?),
        Type::Usize => Arg::Usize(int().and_then(|v| usize::try_from(v).map_err(|_| narrow(v)))?),
        Type::F32 => Arg::F32(obj.extract::<f64>().map_err(|_| bad("a float"))? as f32),
        Type::F64 => Arg::F64(obj.extract::<f64>().map_err(|_| bad("a float"))?),
        Type::CStr => {
            let bytes: Vec<u8> = if let Ok(s) = obj.extract::<String>() {
                s.into_bytes()
            } else if let Ok(b) = obj.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else {
                return Err(bad("a str or bytes"));
            };
            let c = CString::new(bytes)
                .map_err(|_| invalid(format!("argument {index} (cstr) contains a NUL byte")))?;
            Arg::CStr(Cow::Owned(c))
        }
        Type::Pointer => {
            let address = if obj.is_none() {
                0
            } else {
                obj.extract::<usize>()
                    .map_err(|_| bad("an address (int) or None"))?
            };
            Arg::Pointer(address as *mut c_void)
        }
        Type::Buffer => {
            let bytes = if let Ok(b) = obj.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else if let Ok(b) = obj.cast::<PyByteArray>() {
                b.to_vec()
            } else if let Ok(b) = obj.call_method0("tobytes") {
                // a memoryview (or any object exporting its bytes so)
                b.cast::<PyBytes>()
                    .map_err(|_| bad("bytes"))?
                    .as_bytes()
                    .to_vec()
            } else {
                return Err(bad("bytes, a bytearray or a memoryview"));
            };
            return Ok(Owned::Bytes(bytes));
        }
        Type::BufferMut => {
            let array = obj.cast::<PyByteArray>().map_err(|_| bad("a bytearray"))?;
            return Ok(Owned::Mutable(array.to_vec(), array.clone().unbind()));
        }
        Type::BufferOut => {
            let capacity = obj
                .extract::<usize>()
                .map_err(|_| bad("a capacity (int)"))?;
            return Ok(Owned::Out(vec![0; capacity]));
        }
        Type::Void => return Err(invalid(format!("argument {index} is declared void"))),
    }))
}

/// The arguments of one call, moved into the closure that runs with the GIL released.
/// `detach` runs that closure on this same thread, so the raw pointers they may hold
/// (`pointer` arguments) never cross threads.
struct SameThread<T>(T);

// SAFETY: see the type's docs: the value is used only on the thread that made it.
unsafe impl<T> Send for SameThread<T> {}

fn value_to_py(py: Python<'_>, value: Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Void => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::F32(x) => f64::from(x).into_pyobject(py)?.into_any().unbind(),
        Value::F64(x) => x.into_pyobject(py)?.into_any().unbind(),
        Value::CStr(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Pointer(p) => p.into_pyobject(py)?.into_any().unbind(),
        Value::U64(x) => x.into_pyobject(py)?.into_any().unbind(),
        Value::Usize(x) => x.into_pyobject(py)?.into_any().unbind(),
        other => other
            .as_i64()
            .unwrap_or_default()
            .into_pyobject(py)?
            .into_any()
            .unbind(),
    })
}

#[pymethods]
impl PyFunction {
    /// Calls the function. `buffer_mut` arguments (bytearrays) are written in place; with
    /// `buffer_out` arguments (a capacity each) the result is a tuple of the return value
    /// and the bytes each one received.
    #[pyo3(signature = (*args))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let params = self.inner.params();
        if params.len() != args.len() {
            return Err(invalid(format!(
                "function `{}` takes {} argument(s), got {}",
                self.inner.name(),
                params.len(),
                args.len()
            )));
        }
        let mut owned_args = params
            .iter()
            .zip(args.iter())
            .enumerate()
            .map(|(i, (ty, obj))| owned(*ty, &obj, i))
            .collect::<PyResult<Vec<_>>>()?;
        let value = {
            let call_args: Vec<Arg<'_>> = owned_args
                .iter_mut()
                .map(|o| match o {
                    Owned::Scalar(a) => a.reborrow(),
                    Owned::Bytes(b) => Arg::Buffer(b),
                    Owned::Mutable(b, _) => Arg::BufferMut(b),
                    Owned::Out(v) => Arg::BufferOut(v),
                })
                .collect();
            let function = &self.inner;
            let mut call_args = SameThread(call_args);
            py.detach(move || {
                let args = &mut call_args;
                // SAFETY: the arguments match the declaration (checked above and by
                // `Function::call`); that the declaration matches the C function is the
                // Python caller's word, as with ctypes (see the module docs).
                unsafe { function.call(&mut args.0[..]) }
            })
            .py_err()?
        };
        let mut outs = vec![value_to_py(py, value)?];
        for o in owned_args {
            match o {
                Owned::Mutable(bytes, array) => {
                    let array = array.bind(py);
                    // SAFETY: we hold the GIL and no other reference to the bytearray's
                    // buffer while it is overwritten.
                    let target = unsafe { array.as_bytes_mut() };
                    let n = target.len().min(bytes.len());
                    target[..n].copy_from_slice(&bytes[..n]);
                }
                Owned::Out(bytes) => outs.push(PyBytes::new(py, &bytes).into_any().unbind()),
                _ => {}
            }
        }
        if outs.len() == 1 {
            Ok(outs.remove(0))
        } else {
            Ok(PyTuple::new(py, outs)?.into_any().unbind())
        }
    }

    /// The function's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn __repr__(&self) -> String {
        format!("<interop.ffi.Function {:?}>", self.inner)
    }
}
