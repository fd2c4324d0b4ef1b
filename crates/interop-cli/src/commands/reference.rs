//! `interop cli-reference` (hidden): docs/cli-reference.md, written from the command tree
//! clap builds, so the reference says what the binary does. A test regenerates it and
//! fails when the checked-in file differs.

use std::fmt::Write;
use std::process::ExitCode;

use clap::{Arg, Command, CommandFactory};

pub fn run() -> anyhow::Result<ExitCode> {
    print!("{}", markdown());
    Ok(ExitCode::SUCCESS)
}

/// The reference of every visible command, in the order of `interop --help`.
pub fn markdown() -> String {
    let mut root = super::Cli::command();
    root.build();
    let mut out = String::from(
        "# `interop` command reference\n\n\
         Generated from the command's own definition by `interop cli-reference`; do not edit\n\
         (regenerate: `cargo run -p interop-cli -- cli-reference > docs/cli-reference.md`).\n\
         [cli.md](cli.md) explains the commands, exit codes and environment.\n\n",
    );
    let _ = writeln!(out, "{}\n", text(root.get_about()));
    let _ = writeln!(out, "Options of every command:\n");
    arguments(&mut out, root.get_arguments().filter(|a| a.is_global_set()));
    write_commands(&mut out, &mut root);
    out
}

fn write_commands(out: &mut String, parent: &mut Command) {
    for command in parent.get_subcommands_mut() {
        // `help` repeats the tree; hidden commands are internal.
        if command.is_hide_set() || command.get_name() == "help" {
            continue;
        }
        let name = command
            .get_bin_name()
            .unwrap_or(command.get_name())
            .to_owned();
        let _ = writeln!(out, "## `{name}`\n");
        let about = command.get_long_about().or(command.get_about());
        let _ = writeln!(out, "{}\n", text(about));
        let usage = command.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        let _ = writeln!(out, "```text\n{usage}\n```\n");
        arguments(out, command.get_arguments().filter(|a| !a.is_global_set()));
        write_commands(out, command);
    }
}

fn arguments<'a>(out: &mut String, args: impl Iterator<Item = &'a Arg>) {
    let rows: Vec<String> = args
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| {
            let help = text(a.get_help()) + &choices(a);
            format!("| {} | {} |", signature(a), cell(&help))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "| argument | meaning |\n| --- | --- |");
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
    out.push('\n');
}

/// `--dir <HOST[::GUEST]>`, `-i, --input <INPUT>`, `<MODULE>`.
fn signature(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_value_names()
        .map(|names| names.iter().map(|n| format!("<{n}>")).collect())
        .unwrap_or_else(|| vec![format!("<{}>", arg.get_id().as_str().to_uppercase())]);
    let takes_value = arg.get_action().takes_values();
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let sig = match (names.is_empty(), takes_value) {
        (true, _) => values.join(" "),
        (false, true) => format!("{} {}", names.join(", "), values.join(" ")),
        (false, false) => names.join(", "),
    };
    let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1) && names.is_empty();
    format!("`{sig}{}`", if many { "..." } else { "" })
}

/// ` One of: `a`, `b`.` for an argument with a closed set of values (languages, shells).
fn choices(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if values.is_empty() {
        String::new()
    } else {
        format!(". One of: {}", values.join(", "))
    }
}

fn text(styled: Option<&clap::builder::StyledStr>) -> String {
    styled.map(ToString::to_string).unwrap_or_default()
}

/// Text fit for one table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
