//! Phases that run in a fresh process (this binary re-executed with a hidden
//! subcommand), so that one phase's heap does not hide another's growth.
//!
//! A child prints its figures as `key=value` pairs on stdout, or one line that starts
//! with `invalid run: ` or `failed: ` when it has none; progress goes to stderr.

use std::process::{Command, Stdio};
use std::str::FromStr;

use ractor_session_benches::RunError;

/// The figures a child printed.
#[derive(Debug)]
pub(crate) struct Figures(Vec<(String, String)>);

impl Figures {
    /// The value of `key`.
    pub(crate) fn get<T: FromStr>(&self, key: &str) -> Result<T, RunError> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| {
                RunError::Failed(format!("the child's output lacks {key}: {:?}", self.0))
            })
    }
}

/// Runs this binary with `args` and returns its figures.
pub(crate) fn run(args: &[String]) -> Result<Figures, RunError> {
    let exe = std::env::current_exe()
        .map_err(|e| RunError::Failed(format!("the report binary's path: {e}")))?;
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| RunError::Failed(format!("running the child {args:?}: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(error) = stdout.lines().find_map(parse_error) {
        return Err(error);
    }
    if !output.status.success() {
        return Err(RunError::Failed(format!(
            "the child {args:?} ended with {}",
            output.status
        )));
    }
    Ok(Figures(
        stdout
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    ))
}

fn parse_error(line: &str) -> Option<RunError> {
    if let Some(reason) = line.strip_prefix("invalid run: ") {
        Some(RunError::Invalid(reason.to_owned()))
    } else {
        line.strip_prefix("failed: ")
            .map(|reason| RunError::Failed(reason.to_owned()))
    }
}

/// The child's side: prints its figures, or why it has none.
pub(crate) fn finish(result: Result<String, RunError>) {
    match result {
        Ok(pairs) => println!("{pairs}"),
        Err(error) => println!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use ractor_session_benches::RunError;

    #[test]
    fn an_error_line_survives_the_trip() {
        let invalid = RunError::Invalid("too slow: 3 s past 2 s".to_owned());
        assert_eq!(super::parse_error(&invalid.to_string()), Some(invalid));
        let failed = RunError::Failed("12 touches failed".to_owned());
        assert_eq!(super::parse_error(&failed.to_string()), Some(failed));
        assert_eq!(super::parse_error("start_s=1.5"), None);
    }
}
