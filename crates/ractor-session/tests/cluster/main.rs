//! Several nodes, as one process can test them: joining (a configuration checked, a manager
//! without a store or already joined refused, a taken port reported), a lone node serving
//! every session itself, and nodes with different secrets refusing each other with a clear
//! log line. Built only with the `cluster`, `postgres` and `redis` features (`scripts/test`
//! runs it).
//!
//! ractor's process groups and actor names are global to a process, so two nodes that do
//! connect cannot be told apart in one: the multi-node behaviour (forwarding, failover,
//! handover, live sockets) is tested with real processes of the demo, in the examples'
//! `cluster` target.

mod support;

mod joining;
mod lone_node;
mod tls;
mod wrong_secret;
