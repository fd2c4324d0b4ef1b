//! `interop audit FILE`: reads an audit log (the JSON lines `--audit FILE` appends, one
//! per host call a plugin made: `interop_sandbox::AuditEvent`), filters it and prints
//! it as a table, or as JSON lines for programs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use interop_sandbox::{AuditEvent, AuditOutcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The audit log (written by `--audit FILE` on call, provider, emit, shell, watch).
    file: PathBuf,
    /// Only the calls of this plugin.
    #[arg(long)]
    plugin: Option<String>,
    /// Only the host functions starting with this (`fs.`, `net.fetch`).
    #[arg(long)]
    function: Option<String>,
    /// Only the calls the policy refused.
    #[arg(long)]
    denied: bool,
    /// Only the calls that failed (refused or in error).
    #[arg(long)]
    failed: bool,
    /// Print the matching records as JSON lines, as in the file.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Whether the output (and so an error) is JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    fn keeps(&self, event: &AuditEvent) -> bool {
        let plugin = self.plugin.as_ref().is_none_or(|p| *p == event.plugin);
        let function = self
            .function
            .as_ref()
            .is_none_or(|f| event.function.starts_with(f.as_str()));
        let denied = !self.denied || matches!(event.outcome, AuditOutcome::Denied { .. });
        let failed = !self.failed || event.outcome != AuditOutcome::Ok;
        plugin && function && denied && failed
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read the audit log `{}`", args.file.display()))?;
    let mut events = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent = serde_json::from_str(line).with_context(|| {
            format!(
                "{}:{}: not an audit record (a JSON line written by --audit)",
                args.file.display(),
                number + 1
            )
        })?;
        if args.keeps(&event) {
            events.push(event);
        }
    }
    if args.json {
        for event in &events {
            println!("{}", serde_json::to_string(event)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24}  {:<20}  {:<14}  {:>8}  {:<8}  args / why",
        "time (UTC)", "plugin", "function", "µs", "outcome"
    );
    for e in &events {
        let (outcome, why) = match &e.outcome {
            AuditOutcome::Ok => ("ok", String::new()),
            AuditOutcome::Denied { reason } => ("denied", format!(" -> {reason}")),
            AuditOutcome::Error { kind, message } => ("error", format!(" -> {kind}: {message}")),
        };
        println!(
            "{:<24}  {:<20}  {:<14}  {:>8}  {:<8}  {}{why}",
            utc(e.ts_ms),
            e.plugin,
            e.function,
            e.duration_us,
            outcome,
            e.args
        );
    }
    println!("{} record(s)", events.len());
    Ok(ExitCode::SUCCESS)
}

/// `2026-12-01T15:04:05.123Z` of milliseconds since the Unix epoch.
fn utc(ts_ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ts_ms);
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn timestamps_are_written_as_utc_dates() {
        assert_eq!(utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }
}
