//! The `live_cart` demo run as a cluster of processes on loopback, over a shared store. Built
//! only with the `cluster`, `postgres` and `redis` features (`scripts/test` runs it); the
//! tests arrive with the demo's cluster mode.
