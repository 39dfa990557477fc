//! Guides: the long-form documentation, beside the API reference.
//!
//! - [Web apps with axum](axum) — the layer's settings, the security defaults and why,
//!   rotation, and live sockets
//!
//! The session runtime underneath — runtime semantics, configuration, telemetry, session
//! state — has its guides in [`ractor_session::guide`].
//!
//! Each guide is a markdown file in the repository's `docs/` directory, rendered here as
//! it is; its Rust code blocks are compiled and run as doctests.

// The file reaches this crate's package through `crates/ractor-session-axum/docs/axum.md`, a
// symlink to `docs/axum.md` that `cargo package` stores as the file it points to.
//
// The guides link to each other reference-style — `[telemetry][telemetry]`, with
// `[telemetry]: telemetry.md` at the end of the file — so that GitHub follows the file. In
// markdown the first definition of a label wins: rendered here, the guide starts with the
// definitions below, which point at the modules instead.
macro_rules! guide_links {
    () => {
        "[axum]: crate::guide::axum\n\
         [architecture]: ractor_session::guide::architecture\n\
         [configuration]: ractor_session::guide::configuration\n\
         [migration]: ractor_session::guide::migration\n\
         [performance]: ractor_session::guide::performance\n\
         [runtime-semantics]: ractor_session::guide::runtime_semantics\n\
         [state]: ractor_session::guide::state\n\
         [telemetry]: ractor_session::guide::telemetry\n"
    };
}

pub mod axum {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/axum.md")]
}

// The workspace README (linked into this crate as `README.md`, its readme on crates.io) is
// not a guide, but its code blocks compile and run as doctests too: here, because its web
// example needs this crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct Readme;
