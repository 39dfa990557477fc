//! Several nodes: managers on separate `ractor_cluster` nodes serving each other's sessions
//! through a shared store. Built only with the `cluster`, `postgres` and `redis` features
//! (`scripts/test` runs it); the tests arrive with the cluster module.
