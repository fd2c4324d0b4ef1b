//! Extism's HTTP imports: `http_request(request, body) -> body`, `http_status_code()`,
//! `http_headers()`, as a fetch of the plugin's [`HostServices`].
//!
//! The request is Extism's `HttpRequest` JSON (`url`, `method`, `headers`); the fetch is
//! checked against the plugin's network grants and audited by the host services, like
//! any plugin's. Extism's `allowed_hosts` is therefore not read from the plugin: what it
//! may reach is what the manifest requests under `permissions.network` and the host
//! grants. As in Extism's runtime, a request that is refused or fails ends the call with
//! that error (here: a denial stays a `denied` error); a response of any status comes
//! back to the guest, its body in a new block and its status and headers kept for
//! `http_status_code` and `http_headers`.
//!
//! [`HostServices`]: interop_sandbox::HostServices

use std::collections::BTreeMap;

use base64::Engine as _;
use interop_sandbox::FetchRequest;
use serde::Deserialize;
use wasmtime::{Caller, Linker};

use super::{block_checked, fault};
use crate::extism::IMPORT_MODULE;
use crate::failure::{HostRefused, LimitReached};
use crate::state::State;

type Result<T> = wasmtime::Result<T>;

/// Extism's `HttpRequest`, as its PDKs serialize it.
#[derive(Deserialize)]
struct HttpRequest {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    method: Option<String>,
}

/// Adds `http_request`, `http_status_code` and `http_headers` to `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(IMPORT_MODULE, "http_request", http_request)?;
    linker.func_wrap(IMPORT_MODULE, "http_status_code", |c: Caller<'_, State>| {
        c.data().extism.http_status
    })?;
    linker.func_wrap(
        IMPORT_MODULE,
        "http_headers",
        |mut c: Caller<'_, State>| -> Result<u64> {
            let state = &mut c.data_mut().extism;
            match state.http_headers.take() {
                None => Ok(0),
                Some(json) => state.memory.alloc_bytes(&json).map_err(fault),
            }
        },
    )?;
    Ok(())
}

fn http_request(mut c: Caller<'_, State>, request: u64, body: u64) -> Result<u64> {
    let request_json = block_checked(c.data(), request, "http_request")?;
    let request: HttpRequest = serde_json::from_slice(&request_json).map_err(|e| {
        wasmtime::format_err!("http_request: the request is not Extism's HttpRequest JSON: {e}")
    })?;
    let body = (body != 0)
        .then(|| block_checked(c.data(), body, "http_request"))
        .transpose()?;
    let fetch = FetchRequest {
        method: request.method.unwrap_or_else(|| "GET".into()),
        headers: request.headers,
        body_base64: body.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        ..FetchRequest::get(request.url)
    };
    let state = c.data_mut();
    let response = match state.services.fetch(&fetch) {
        Ok(response) => response,
        Err(_)
            if state
                .services
                .remaining()
                .is_some_and(|left| left.is_zero()) =>
        {
            return Err(LimitReached::deadline(format!("http_request to {}", fetch.url)).into())
        }
        Err(err) => return Err(HostRefused(err).into()),
    };
    state.extism.http_status = i32::from(response.status);
    state.extism.http_headers = serde_json::to_vec(&response.headers).ok();
    state
        .extism
        .memory
        .alloc_bytes(&response.body)
        .map_err(fault)
}
