//! Skipping a test whose server is not installed, loudly, and never under CI.

/// Reports that `what` is not installed: under CI (the `CI` environment variable is set)
/// this fails the test; elsewhere it prints a banner and the caller skips the test.
///
/// # Panics
///
/// When `CI` is set.
pub(crate) fn missing(what: &str) {
    let hint = "run scripts/install-test-deps to install it";
    if std::env::var_os("CI").is_some() {
        panic!("{what} is not installed, and CI is set so the test may not be skipped: {hint}");
    }
    let banner = "!".repeat(78);
    eprintln!("\n{banner}\n!!! SKIPPED: {what} is not installed; {hint}.\n{banner}\n");
}
