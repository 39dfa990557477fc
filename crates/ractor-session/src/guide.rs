//! Guides: the long-form documentation, beside the API reference.
//!
//! - [Architecture](architecture) — the pieces and why they are built this way
//! - [Runtime semantics](runtime_semantics) — ordering, activity, expiry, crashes, shutdown
//! - [Configuration](configuration) — every setting, defaults, loading with serde
//! - [Durability](crate::durable) — session stores: SQLite, PostgreSQL, Redis
//! - [Passivation](passivation) — idle sessions leave memory and come back on their next
//!   message
//! - Several nodes — the documentation of the `cluster` module (feature `cluster`): any
//!   node serves any session
//! - [Telemetry](telemetry) — every event and metric, mapped to the original's
//! - [Session state](state) — plain actor, agent state or a Redux-style store: which to
//!   pick, and how
//! - [Performance](performance) — measured figures against raw ractor, bare tokio and
//!   tower-sessions
//! - [Migrating from Phoenix.SessionProcess](migration)
//!
//! Web apps: the guide of the axum adapter is
//! [`ractor_session_axum::guide::axum`](https://docs.rs/ractor-session-axum/latest/ractor_session_axum/guide/axum/index.html).
//!
//! Each guide is a markdown file in the repository's `docs/` directory, rendered here as
//! it is; its Rust code blocks are compiled and run as doctests.

// The files reach this crate's package through `crates/ractor-session/docs/*.md`, symlinks
// to `docs/*.md` that `cargo package` stores as the files they point to.
//
// The guides link to each other reference-style — `[telemetry][telemetry]`, with
// `[telemetry]: telemetry.md` at the end of the file — so that GitHub follows the file. In
// markdown the first definition of a label wins: rendered here, each guide starts with the
// definitions below, which point at the modules (and at items) instead.
macro_rules! guide_links {
    () => {
        "[architecture]: crate::guide::architecture\n\
         [cluster]: https://docs.rs/ractor-session/latest/ractor_session/cluster/index.html\n\
         [configuration]: crate::guide::configuration\n\
         [durability]: crate::durable\n\
         [migration]: crate::guide::migration\n\
         [passivation]: crate::guide::passivation\n\
         [performance]: crate::guide::performance\n\
         [runtime-semantics]: crate::guide::runtime_semantics\n\
         [state]: crate::guide::state\n\
         [telemetry]: crate::guide::telemetry\n\
         [axum]: https://docs.rs/ractor-session-axum/latest/ractor_session_axum/guide/axum/index.html\n\
         [`SessionId`]: crate::SessionId\n"
    };
}

pub mod architecture {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/architecture.md")]
}

pub mod configuration {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/configuration.md")]
}

pub mod migration {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/migration.md")]
}

pub mod passivation {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/passivation.md")]
}

pub mod performance {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/performance.md")]
}

pub mod runtime_semantics {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/runtime-semantics.md")]
}

pub mod state {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/state.md")]
}

pub mod telemetry {
    #![doc = guide_links!()]
    #![doc = include_str!("../docs/telemetry.md")]
}
