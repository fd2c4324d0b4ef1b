//! The host API of a process plugin: `host.call` requests from the plugin, answered by
//! [`HostServices::call`], which checks the policy and records the audit trail. This
//! module only adapts the JSON-RPC method to it, as every backend adapts its own ABI.

use interop_protocol::jsonrpc::RpcError;
use interop_sandbox::HostServices;
use serde::Deserialize;
use serde_json::Value;

use crate::methods::HOST_CALL;
use crate::rpc::Router;

/// `host.call` params.
#[derive(Debug, Deserialize)]
struct HostCall {
    function: String,
    #[serde(default)]
    args: Value,
}

/// The methods the host answers on a plugin's connection: `host.call`, checked by the
/// policy and audited through `services`.
pub fn host_router(services: HostServices) -> Router {
    Router::new().blocking(HOST_CALL, move |params| {
        let call: HostCall =
            serde_json::from_value(params.unwrap_or(Value::Null)).map_err(|e| {
                RpcError::invalid_params(format!(
                    "`host.call` takes {{\"function\": \"fs.readFile\", \"args\": {{...}}}}: {e}"
                ))
            })?;
        services
            .call(&call.function, call.args)
            .map_err(RpcError::from)
    })
}
