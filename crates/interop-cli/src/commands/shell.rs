//! `interop shell`: several plugins in one host, driven line by line from stdin, so a
//! session can be typed or piped (`printf 'load a\nload b\ncall a greet "x"\n' | interop
//! shell`). Each line is one command; a failed command prints its error and the session
//! goes on; the exit code is that of the last failure (0 if none).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use interop_host::Host;
use interop_protocol::load_manifest;
use serde_json::Value;

use super::call::{js_logs_to_stderr, print_result};
use super::grants::GrantArgs;

const HELP: &str = "\
commands (one per line; JSON is the rest of the line, default null):
  load PATH                     load the plugin of a directory or plugin.json
  call PLUGIN ACTION [JSON]     run an action and print its result
  provider PLUGIN NAME          ask a provider
  emit EVENT [JSON]             deliver a hook event to every plugin that handles it
  list                          the loaded plugins
  metrics [PLUGIN]              calls, errors and latency, as JSON
  help                          this text
  quit                          end the session (so does the end of input)";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plugins to load before reading commands (directories or plugin.json files).
    plugins: Vec<std::path::PathBuf>,
    /// Print results as JSON (one document per command; logs go to stderr).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    grants: GrantArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut host = args.grants.host_for_each(&[])?;
    if args.json {
        js_logs_to_stderr(&mut host);
    }
    let mut last_failure = ExitCode::SUCCESS;
    for path in &args.plugins {
        if let Err(err) = load(&mut host, &args.grants, &path.display().to_string()) {
            last_failure = crate::failure::report(&err, args.json);
        }
    }
    let prompt = std::io::stdin().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if prompt {
            eprint!("interop> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("cannot read stdin")?;
        match execute(&mut host, &args, line.trim()) {
            Ok(Flow::Quit) => break,
            Ok(Flow::Continue(code)) => {
                if code != ExitCode::SUCCESS {
                    last_failure = code;
                }
            }
            Err(err) => last_failure = crate::failure::report(&err, args.json),
        }
    }
    Ok(last_failure)
}

enum Flow {
    Continue(ExitCode),
    Quit,
}

fn execute(host: &mut Host, args: &Args, line: &str) -> anyhow::Result<Flow> {
    let (command, rest) = split(line);
    let done = Ok(Flow::Continue(ExitCode::SUCCESS));
    match command {
        "" => done,
        "quit" | "exit" => Ok(Flow::Quit),
        "help" => {
            println!("{HELP}");
            done
        }
        "load" => {
            let name = load(host, &args.grants, rest)?;
            eprintln!("loaded {name}");
            done
        }
        "call" => {
            let (plugin, rest) = split(rest);
            let (action, input) = split(rest);
            let result = host.invoke(
                required(plugin, "PLUGIN")?,
                required(action, "ACTION")?,
                json(input)?,
            )?;
            Ok(Flow::Continue(print_result(result, args.json)?))
        }
        "provider" => {
            let (plugin, name) = split(rest);
            let result = host.get_provider(required(plugin, "PLUGIN")?, required(name, "NAME")?)?;
            match (&result.text, args.json) {
                (Some(text), false) => println!("{text}"),
                _ => println!("{}", serde_json::to_string_pretty(&result)?),
            }
            done
        }
        "emit" => {
            let (event, payload) = split(rest);
            let outcomes = host.emit(required(event, "EVENT")?, json(payload)?);
            if outcomes.is_empty() {
                eprintln!("no loaded plugin handles `{event}`");
            }
            for (plugin, outcome) in outcomes {
                match outcome {
                    Ok(value) => println!("{plugin}: {value}"),
                    Err(err) => println!("{plugin}: error: {err}"),
                }
            }
            done
        }
        "list" => {
            for name in host.plugin_names() {
                let plugin = host.get(&name)?;
                let m = plugin.manifest();
                println!("{:<24} {:<10} {}", m.name, m.version, m.interop.protocol());
            }
            done
        }
        "metrics" => {
            let metrics = match rest {
                "" => serde_json::to_value(host.all_metrics())?,
                plugin => serde_json::to_value(host.metrics(plugin)?)?,
            };
            println!("{}", serde_json::to_string_pretty(&metrics)?);
            done
        }
        other => anyhow::bail!("unknown command `{other}` (type `help` for the commands)"),
    }
}

/// Loads the plugin at `path` with the `--config` keys of the command line.
fn load(host: &mut Host, grants: &GrantArgs, path: &str) -> anyhow::Result<String> {
    let manifest = load_manifest(required(path, "PATH")?)?;
    let name = manifest.name().to_owned();
    grants.configure(host, &name);
    crate::progress::load(host, manifest)?;
    Ok(name)
}

/// The first word of `text` and the rest, trimmed.
fn split(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

fn required<'a>(word: &'a str, what: &str) -> anyhow::Result<&'a str> {
    if word.is_empty() {
        anyhow::bail!("missing {what} (type `help` for the commands)");
    }
    Ok(word)
}

/// The JSON of the rest of a line (`null` when empty).
fn json(text: &str) -> anyhow::Result<Value> {
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text)
        .with_context(|| format!("`{text}` is not JSON (strings need quotes: \"World\")"))
}
