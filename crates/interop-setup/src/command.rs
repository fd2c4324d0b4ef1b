//! Running the installers' commands with their output captured: a spinner stays
//! readable, and a failure reports the command's last lines.

use std::process::Command;

use crate::SetupError;

/// How many lines of a failed command's output an error keeps.
const TAIL_LINES: usize = 12;

/// Runs `cmd` for `component`; a failure is a [`SetupError::Registry`] when the command
/// talks to `registry`, else a [`SetupError::Command`].
pub(crate) fn run(
    component: &'static str,
    registry: Option<&'static str>,
    cmd: &mut Command,
) -> Result<(), SetupError> {
    let command = describe(cmd);
    tracing::debug!("{component}: running {command}");
    let failed = |detail: String| match registry {
        Some(registry) => SetupError::Registry {
            component,
            registry,
            command: command.clone(),
            detail,
        },
        None => SetupError::Command {
            component,
            command: command.clone(),
            detail,
        },
    };
    let out = cmd.output().map_err(|e| SetupError::Command {
        component,
        command: command.clone(),
        detail: format!("cannot start it: {e}"),
    })?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
    Err(failed(format!("{}\n{tail}", out.status)))
}

/// Whether `program` runs (`program --version` succeeds).
pub(crate) fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `cmd` as the user would type it.
fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}
