//! What several of the state tests use.

use ractor_session::{KvError, KvMsg, SessionManager};
use serde_json::Value;

/// Sends a JSON `request` to the key-value session `id` and returns its reply.
pub(crate) async fn request(
    manager: &SessionManager,
    id: &str,
    request: Value,
) -> Result<Value, KvError> {
    manager
        .call(id, |reply| KvMsg::Request { request, reply })
        .await
        .unwrap()
}
