use std::path::PathBuf;
use std::process::ExitCode;

use interop_protocol::load_manifest;
use interop_sandbox::Policy;

use super::grants::GrantArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin (its directory or plugin.json), or a bare .wasm/.wat module.
    manifest: PathBuf,
    /// Print the manifest as JSON instead.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    grants: GrantArgs,
}

impl Args {
    /// Whether the output (and so an error) is JSON.
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    #[cfg(feature = "wasm")]
    if super::inspect_module::is_module(&args.manifest) {
        return super::inspect_module::run(&args.manifest, args.json);
    }
    let loaded = load_manifest(&args.manifest)?;
    let m = &loaded.manifest;
    if args.json {
        println!("{}", serde_json::to_string_pretty(m)?);
        return Ok(ExitCode::SUCCESS);
    }
    let requested = Policy::from_manifest(&loaded)?;
    let services = args.grants.host_for(&m.name)?.services_for(&loaded)?;
    let granted = services.policy();
    println!("{} {}", m.name, m.version);
    if let Some(d) = &m.description {
        println!("  {d}");
    }
    println!(
        "language:  {}",
        m.language.as_deref().unwrap_or("(unspecified)")
    );
    let paths: Vec<String> = m
        .interop
        .paths()
        .iter()
        .map(|(f, p)| format!("{f}={p}"))
        .collect();
    println!("interop:   {} {}", m.interop.protocol(), paths.join(" "));
    println!(
        "actions:   {}",
        if m.actions.is_empty() { "(none)" } else { "" }
    );
    for a in &m.actions {
        println!(
            "  {:<16} -> {:<16} {}",
            a.name,
            a.handler(),
            a.description.as_deref().unwrap_or("")
        );
    }
    println!(
        "providers: {}",
        if m.providers.is_empty() { "(none)" } else { "" }
    );
    for p in &m.providers {
        println!(
            "  {:<16} -> {:<16} {}",
            p.name,
            p.handler(),
            p.description.as_deref().unwrap_or("")
        );
    }
    println!(
        "hooks:     {}",
        if m.hooks.is_empty() { "(none)" } else { "" }
    );
    for h in &m.hooks {
        println!("  {:<16} -> {}", h.event, h.handler);
    }
    println!("permissions requested by the manifest:");
    print_permissions(&requested);
    println!("granted by this host (with the flags given):");
    print_permissions(granted);
    let missing = &granted.ungranted;
    if !(missing.fs.is_empty() && missing.url_prefixes.is_empty() && missing.env.is_empty()) {
        println!("requested but not granted:");
        for root in &missing.fs {
            let flag = if root.write {
                "--allow-write"
            } else {
                "--allow-path"
            };
            println!(
                "  fs:      {} ({})  [{flag} {}]",
                root.path.display(),
                mode(root.read, root.write),
                root.path.display()
            );
        }
        for prefix in &missing.url_prefixes {
            println!("  network: {prefix}  [--allow-url {prefix}]");
        }
        for name in &missing.env {
            println!("  env:     {name}  [--allow-env {name}]");
        }
    }
    if !services.config().is_empty() {
        println!("config (the manifest's, with --config over it):");
        for (key, value) in services.config() {
            println!("  {key} = {value}");
        }
    }
    println!("limits (the manifest may lower the host's, never raise them):");
    println!("  memory:  {} MiB", granted.memory_bytes / (1024 * 1024));
    println!("  timeout: {} ms per call", granted.timeout.as_millis());
    println!("  message: {} bytes", granted.max_message_bytes);
    if let Some(fuel) = granted.fuel {
        println!("  fuel:    {fuel}");
    }
    Ok(ExitCode::SUCCESS)
}

fn mode(read: bool, write: bool) -> &'static str {
    match (read, write) {
        (true, true) => "read+write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "none",
    }
}

fn print_permissions(policy: &Policy) {
    if policy.fs.is_empty() {
        println!("  fs:      (none)");
    }
    for root in &policy.fs {
        println!(
            "  fs:      {} ({})",
            root.path.display(),
            mode(root.read, root.write)
        );
    }
    match &policy.network {
        None => println!("  network: (none)"),
        Some(net) => {
            for p in &net.prefixes {
                println!("  network: {} [{}]", p.as_str(), net.methods.join(", "));
            }
            println!(
                "           timeout {} ms, responses up to {} bytes, redirects not followed",
                net.timeout.as_millis(),
                net.max_response_bytes
            );
        }
    }
    println!(
        "  env:     {}",
        if policy.env.is_empty() {
            "(none)".to_owned()
        } else {
            policy.env.join(", ")
        }
    );
}
