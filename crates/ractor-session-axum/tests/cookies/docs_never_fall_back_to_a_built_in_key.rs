//! The README, the guides and the crate docs are copied into apps. None of them may read
//! a signing secret from the environment with a built-in fallback
//! (`env::var("SESSION_KEY").unwrap_or(...)`): a copied app would run, silently, with a key
//! everyone can read, and anyone could sign session cookies for it.

use std::path::{Path, PathBuf};

/// The workspace's markdown and Rust sources that document the layer or show it in use.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md")];
    for dir in [
        "docs",
        "crates/ractor-session-axum/src",
        "examples",
        "examples/live_cart",
    ] {
        let entries = std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries {
            let path = entry.unwrap().path();
            if matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "rs")) {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn no_document_falls_back_to_a_built_in_key() {
    let mut offences = Vec::new();
    let files = documents();
    assert!(files.len() > 10, "the documents were found: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("env::var(") && line.contains("unwrap_or") {
                offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "environment variables with a built-in fallback:\n{}",
        offences.join("\n")
    );
}
