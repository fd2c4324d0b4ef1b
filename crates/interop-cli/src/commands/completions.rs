//! `interop completions SHELL`: completions for the shell, from the command tree itself
//! (clap_complete), so they never lag behind the flags.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell (bash, zsh, fish, elvish, powershell). E.g. `interop completions bash >
    /// ~/.local/share/bash-completion/completions/interop`.
    shell: Shell,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    clap_complete::generate(args.shell, &mut command, "interop", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
