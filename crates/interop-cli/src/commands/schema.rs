use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    print!("{}", interop_protocol::schema::manifest_schema_text());
    Ok(ExitCode::SUCCESS)
}
