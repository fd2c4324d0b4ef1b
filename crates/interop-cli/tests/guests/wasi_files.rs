// A WASI command for `interop run`'s tests: prints its arguments, the variable GREETING,
// and two files, one relative to the current directory and one under /data; exits with
// the code given as its first argument.
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {}", args.join(" "));
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "(unset)".into());
    println!("GREETING={greeting}");
    for path in ["./file", "/data/x"] {
        match std::fs::read_to_string(path) {
            Ok(text) => println!("{path}: {}", text.trim()),
            Err(e) => println!("{path}: error: {e}"),
        }
    }
    if let Some(path) = args.iter().find_map(|a| a.strip_prefix("write=")) {
        match std::fs::write(path, "written") {
            Ok(()) => println!("{path}: written"),
            Err(e) => println!("{path}: write error: {e}"),
        }
    }
    if let Some(code) = args.first().and_then(|a| a.parse().ok()) {
        exit(code);
    }
}
