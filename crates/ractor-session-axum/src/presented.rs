//! [`Presented`]: what the session cookies of a request came to, found in memory and —
//! for a manager with a session store — in the store.
//!
//! [`Found::scan`] verifies the cookies and looks every verified ID up in the registry
//! once. An ID not live in memory names no session at all unless the manager has a store:
//! then [`Found::adopt`] asks the store for it (one read per such ID; forged, unsigned and
//! malformed values never get this far) and revives what it holds, so that a session saved
//! before a restart is adopted as if it had never left memory. [`Found::decide`] then
//! decides the request's session as one rule, wherever each session was found.

use http::HeaderMap;
use ractor_session::{SessionError, SessionHandle, SessionId, SessionManager};

use crate::bound::BoundSession;
use crate::config::LayerConfig;
use crate::signing::{Rejection, Verified};
use crate::telemetry;

/// What the session cookies of a request came to.
#[derive(Debug)]
pub(crate) enum Presented {
    /// No session cookie.
    Nothing,
    /// A verified, live session under its cookie's ID; `resign` when the cookie verified
    /// only under a previous key and must be signed anew.
    Live { session: BoundSession, resign: bool },
    /// Only refused cookies: malformed, badly signed, or naming no live session.
    Refused,
    /// An ID this layer rotated away within the grace period, and no live one.
    Rotated,
    /// Cookies of two or more different live sessions: none is adopted.
    Conflict,
    /// A verified ID of a session that another node of the cluster owns: its requests
    /// go there (see `RoutedSession`); nothing is known here of whether it still lives.
    Remote { id: SessionId, resign: bool },
}

/// What the verified session cookies of a request name.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The first live session named, and whether the current key signed its cookie.
    live: Option<(BoundSession, bool)>,
    /// Further live sessions named: each makes a conflict.
    others: Vec<SessionId>,
    /// Verified IDs live nowhere yet looked in, and whether the current key signed them.
    unknown: Vec<(SessionId, bool)>,
    remote: Vec<(SessionId, bool)>,
    /// Whether an ID rotated away within the grace period was named.
    rotated: bool,
    /// Values refused before any lookup, with a loggable fingerprint each.
    rejected: Vec<(Rejection, String)>,
}

impl Found {
    /// Reads the request's cookies and looks every verified ID up in memory, once each (a
    /// bounded number: see the `cookie` module). The lookup checks the deadline.
    pub(crate) fn scan(config: &LayerConfig, headers: &HeaderMap) -> Self {
        let scan = config.cookie.scan(headers);
        let mut found = Self {
            rejected: scan.rejected,
            ..Self::default()
        };
        for Verified { id, current_key } in scan.verified {
            match &mut found.live {
                Some((session, current)) if session.id() == &id => {
                    *current |= current_key;
                    continue;
                }
                _ => {}
            }
            let seen = |list: &[(SessionId, bool)]| list.iter().any(|(seen, _)| seen == &id);
            if found.others.contains(&id) || seen(&found.unknown) || seen(&found.remote) {
                continue;
            }
            match config.manager.session(&id) {
                // In a cluster, a copy here of a session another node owns (it is being
                // handed over, or was revived here while this node's view lagged): the
                // owner serves it, and asks this node to hand it over.
                Ok(_) if !config.manager.owns(&id) => found.remote.push((id, current_key)),
                Ok(handle) => found.place(id, handle, current_key),
                Err(_) if config.rotations.contains(&id) => found.rotated = true,
                Err(_) if !config.manager.owns(&id) => found.remote.push((id, current_key)),
                Err(_) => found.unknown.push((id, current_key)),
            }
        }
        found
    }

    /// Whether an ID not in memory may be in the manager's store: only then does deciding
    /// the request's session need to wait for anything.
    pub(crate) fn needs_store(&self, manager: &SessionManager) -> bool {
        !self.unknown.is_empty() && manager.has_store()
    }

    /// The verified IDs not found in memory.
    pub(crate) fn unknown(&self) -> Vec<SessionId> {
        self.unknown.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Counts a live session named by a cookie.
    fn place(&mut self, id: SessionId, handle: SessionHandle, current_key: bool) {
        if self.live.is_none() {
            self.live = Some((BoundSession::new(id, handle), current_key));
        } else {
            self.others.push(id);
        }
    }

    /// Records the sessions revived from the store as found live.
    pub(crate) fn with_adopted(mut self, adopted: Vec<(SessionId, SessionHandle)>) -> Self {
        for (id, handle) in adopted {
            let Some(at) = self.unknown.iter().position(|(seen, _)| seen == &id) else {
                continue;
            };
            let (id, current_key) = self.unknown.remove(at);
            self.place(id, handle, current_key);
        }
        self
    }

    /// Decides the request's session. It adopts one only when exactly one live session is
    /// named, however many times: the cookie of a second live session can only have been
    /// planted (a sibling subdomain tossing its own session's cookie at the visitor), and
    /// adopting either could put the visitor into the attacker's session. Refused and
    /// unknown values never stand in the way of the live one. An adopted session is
    /// touched: every request counts as activity. Refused values are logged.
    pub(crate) fn decide(self, config: &LayerConfig) -> Presented {
        let Self {
            live,
            mut others,
            unknown,
            remote,
            rotated,
            rejected,
        } = self;
        let mut unknown: Vec<SessionId> = unknown.into_iter().map(|(id, _)| id).collect();
        let presented = match live {
            Some((session, _)) if !others.is_empty() => {
                others.push(session.id().clone());
                Presented::Conflict
            }
            Some((session, current_key)) if touch(&session) => Presented::Live {
                session,
                resign: !current_key,
            },
            // Moved on between the lookup and here — handed over to the node that owns it
            // now, or fenced off by a newer activation: it lives on, reached by its ID.
            Some((session, current_key))
                if session.moved_on() || !config.manager.owns(session.id()) =>
            {
                Presented::Remote {
                    id: session.id().clone(),
                    resign: !current_key,
                }
            }
            Some((session, _)) => {
                unknown.push(session.id().clone());
                Presented::Refused
            }
            None if rotated => Presented::Rotated,
            // Two verified IDs owned elsewhere: as with two live ones, neither is taken.
            None if remote.len() > 1 => Presented::Conflict,
            None if remote.len() == 1 => {
                let (id, current_key) = &remote[0];
                Presented::Remote {
                    id: id.clone(),
                    resign: !current_key,
                }
            }
            None if rejected.is_empty() && unknown.is_empty() => Presented::Nothing,
            None => Presented::Refused,
        };
        let adopted = matches!(presented, Presented::Live { .. });
        for (why, shown) in &rejected {
            telemetry::cookie_refused(&config.logs, why.as_str(), shown, adopted);
        }
        for (why, ids) in [
            (Rejection::Unknown, &unknown),
            (Rejection::Conflict, &others),
        ] {
            for id in ids {
                let shown = id.redacted().to_string();
                telemetry::cookie_refused(&config.logs, why.as_str(), &shown, adopted);
            }
        }
        presented
    }
}

/// Looks each of `ids` up in the manager's store and revives the sessions it holds (the
/// core's revival: single-flight, one actor however many requests race); one store read
/// per ID. An ID the store does not hold, or holds expired, is simply not returned.
///
/// # Errors
///
/// The store's failure ([`SessionError::StoreFailed`]), an unreadable record, a full
/// manager: never a fresh session in place of one the store may hold.
pub(crate) async fn adopt(
    manager: &SessionManager,
    ids: Vec<SessionId>,
) -> Result<Vec<(SessionId, SessionHandle)>, SessionError> {
    let mut adopted = Vec::new();
    for id in ids {
        match manager.resume(&id).await {
            Ok(handle) => adopted.push((id, handle)),
            Err(SessionError::SessionNotFound { .. } | SessionError::InvalidSessionId(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(adopted)
}

/// Records the request as the session's activity; `false` if it ended meanwhile.
fn touch(session: &BoundSession) -> bool {
    session.handle().is_ok_and(|handle| handle.touch().is_ok())
}
