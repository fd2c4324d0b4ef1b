//! `serve_with`/`serve_stdio`: any `dyn Plugin` served with the plugin protocol, calling
//! the host back through its `HostClient`.

use std::sync::Arc;

use interop_ipc::host_api::host_router;
use interop_ipc::methods::{ACTION_INVOKE, HOOK_EVENT, INITIALIZE, SHUTDOWN};
use interop_ipc::{serve_with, HostClient, Peer, PeerOptions};
use interop_protocol::{
    validate_value, ActionInvoke, ActionResult, HookEvent, Manifest, Plugin, PluginError,
    ProviderGet, ProviderResult,
};
use interop_sandbox::{HostServices, Policy};
use serde_json::{json, Value};

/// A plugin whose `greet` asks the host for `GREETER_PREFIX`.
struct Native {
    manifest: Manifest,
    host: HostClient,
}

impl Plugin for Native {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        let name = request.input.as_str().unwrap_or("nobody");
        let prefix = self
            .host
            .call("env.get", json!({"name": "GREETER_PREFIX"}))?;
        Ok(ActionResult::text(format!(
            "{}Hello, {name}!",
            prefix.as_str().map(|p| format!("{p} ")).unwrap_or_default()
        )))
    }
    fn get_provider(&self, _: &ProviderGet) -> Result<ProviderResult, PluginError> {
        Ok(ProviderResult::from_reply(json!("provided")))
    }
    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        Ok(json!([event.event]))
    }
    fn unload(&self) -> Result<(), PluginError> {
        Ok(())
    }
}

#[test]
fn a_served_plugin_answers_the_protocol_and_calls_the_host_back() {
    let manifest = validate_value(
        &json!({"name": "native", "version": "1.0.0",
                "interop": {"protocol": "subprocess", "command": "x"},
                "actions": [{"name": "greet"}]}),
        None,
    )
    .unwrap();
    let rt = interop_ipc::runtime::runtime().unwrap();
    let (plugin_end, host_end) = {
        let _g = rt.enter();
        tokio::net::UnixStream::pair().unwrap()
    };
    let served = std::thread::spawn(move || {
        let (r, w) = plugin_end.into_split();
        serve_with(r, w, |host| Arc::new(Native { manifest, host }))
    });
    // The host side: answers host.call from a policy that does not grant the variable.
    let services = HostServices::new(Policy::new("native", "."));
    let audit = services.audit().clone();
    rt.block_on(async {
        let (r, w) = host_end.into_split();
        let peer = Peer::new(r, w, host_router(services), PeerOptions::default());
        let init = peer
            .call(
                INITIALIZE,
                Some(json!({"protocolVersion": "1.0", "plugin": "native"})),
            )
            .await
            .unwrap();
        assert_eq!(init, json!({"name": "native", "protocolVersion": "1.0"}));
        let err = peer
            .call(
                ACTION_INVOKE,
                Some(json!({"action": "greet", "input": "World"})),
            )
            .await
            .unwrap_err();
        // The host refused env.get: the plugin's error says so.
        assert!(err.to_string().contains("GREETER_PREFIX"), "{err}");
        let hooks = peer
            .call(HOOK_EVENT, Some(json!({"event": "config.reload"})))
            .await
            .unwrap();
        assert_eq!(hooks, json!(["config.reload"]));
        peer.call(SHUTDOWN, None).await.unwrap();
    });
    served.join().unwrap().unwrap();
    assert_eq!(audit.denied().len(), 1);
    assert_eq!(audit.denied()[0].function, "env.get");
}
