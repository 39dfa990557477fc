//! [`SessionManagerBuilder`]: a manager with a session store and durable session types.

use std::fmt;
use std::sync::{Arc, Mutex};

use ractor::Actor;

use crate::config::SessionConfig;
use crate::durability_config::DurabilityConfig;
use crate::durable::{DurableSession, SessionStore};
use crate::error::SessionError;
use crate::expiry;
use crate::kv::KvSession;
use crate::park;
use crate::passivation;
use crate::persistence;
use crate::registry::ParkedEnd;
use crate::shared::{Kind, Kinds, Shared};
use crate::supervisor::{SessionSupervisor, SupervisorLink};
use crate::telemetry;

use super::registered::Registered;
use super::{BackgroundTasks, SessionManager};

/// Builds a [`SessionManager`]: its configuration, and optionally a session store and
/// the durable session types whose state it keeps there.
///
/// Without a store, the manager is exactly what [`SessionManager::spawn`] makes. With
/// one, sessions of the registered types survive a restart: their state is written to
/// the store as it changes ([`DurabilityConfig`] says when), and an operation on an ID
/// that is not in memory finds the session in the store and revives it. [`KvSession`]
/// is registered by itself when a store is set (unless its tag `kv` is taken). See the
/// [`durable`](crate::durable) guide.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use ractor_session::durable::SqliteStore;
/// use ractor_session::{DurabilityConfig, KvMsg, SessionConfig, SessionManager, WritePolicy};
///
/// let dir = tempfile::tempdir()?;
/// let store = Arc::new(SqliteStore::open(dir.path().join("sessions.db")).await?);
/// let manager = SessionManager::builder(SessionConfig::default())
///     .with_store(store)
///     .with_durability(DurabilityConfig::default().with_write_policy(WritePolicy::WriteThrough))
///     .spawn()
///     .await?;
/// manager.start("s1").await?;
/// manager.cast("s1", KvMsg::put("theme", "dark")).await?;
/// manager.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `spawn` is called"]
pub struct SessionManagerBuilder {
    config: SessionConfig,
    store: Option<Arc<dyn SessionStore>>,
    durability: DurabilityConfig,
    kinds: Vec<Arc<dyn Kind>>,
}

impl fmt::Debug for SessionManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManagerBuilder")
            .field("config", &self.config)
            .field("store", &self.store.as_ref().map(|store| store.backend()))
            .field("durability", &self.durability)
            .field("durable_types", &self.kinds)
            .finish()
    }
}

impl SessionManager {
    /// A builder for a manager with `config`, to which a store and durable session types
    /// can be added.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::{SessionConfig, SessionManager};
    ///
    /// let manager = SessionManager::builder(SessionConfig::default())
    ///     .with_store(Arc::new(MemoryStore::new()))
    ///     .spawn()
    ///     .await?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(config: SessionConfig) -> SessionManagerBuilder {
        SessionManagerBuilder {
            config,
            store: None,
            durability: DurabilityConfig::default(),
            kinds: Vec::new(),
        }
    }
}

impl SessionManagerBuilder {
    /// Keeps the state of durable sessions in `store`.
    ///
    /// # Examples
    ///
    /// See [`SessionManagerBuilder`].
    pub fn with_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How the manager writes to its store (default [`DurabilityConfig::default`]).
    ///
    /// # Examples
    ///
    /// See [`SessionManagerBuilder`].
    pub fn with_durability(mut self, durability: DurabilityConfig) -> Self {
        self.durability = durability;
        self
    }

    /// Registers the durable session type `A` under its
    /// [`TYPE_TAG`](DurableSession::TYPE_TAG): its sessions are written to the store,
    /// and a record with that tag is restored into an actor `make` builds.
    ///
    /// Without a store, a registration serves passivation: when the configuration sets
    /// [`passivate_after`](SessionConfig::passivate_after) or
    /// [`max_active`](SessionConfig::max_active), sessions of registered types are parked
    /// in memory as compact bytes and revived from them (the default [`KvSession`] is
    /// registered then, as it is with a store). Otherwise it has no effect.
    ///
    /// # Examples
    ///
    /// See [`DurableSession`].
    pub fn with_durable<A, F>(self, make: F) -> Self
    where
        A: DurableSession,
        F: Fn() -> A + Send + Sync + 'static,
    {
        self.with_durable_as(A::TYPE_TAG, make)
    }

    /// As [`with_durable`](Self::with_durable), under the tag `tag`: for two types that
    /// share one (two [`StoreSession`](crate::store::StoreSession)s of different states,
    /// say), or a type whose tag changed (a record keeps the tag it was written with).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::store::{Store, StoreSession};
    /// use ractor_session::{SessionConfig, SessionManager};
    ///
    /// let counter = || Store::new(0_i64, |n: &i64, add: &i64| n + add);
    /// let label = || Store::new(String::new(), |_: &String, next: &String| next.clone());
    /// let manager = SessionManager::builder(SessionConfig::default())
    ///     .with_store(Arc::new(MemoryStore::new()))
    ///     .with_durable_as("counter", move || StoreSession::restoring(counter))
    ///     .with_durable_as("label", move || StoreSession::restoring(label))
    ///     .spawn()
    ///     .await?;
    /// # manager.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_durable_as<A, F>(mut self, tag: &'static str, make: F) -> Self
    where
        A: DurableSession,
        F: Fn() -> A + Send + Sync + 'static,
    {
        self.kinds.push(Arc::new(Registered::new(tag, make)));
        self
    }

    /// Validates everything, checks that the store answers, then starts the supervisor
    /// and the manager's tasks (expiry; with a store, the flusher and the sweeper).
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`SessionError::InvalidConfig`] for a bad configuration, durability setting or
    /// type registration (a malformed tag, a tag or type registered twice);
    /// [`SessionError::StoreFailed`] when the store does not answer or holds a schema this
    /// release does not know; [`SessionError::SupervisorFailed`] if the supervisor actor
    /// could not start.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use ractor_session::durable::MemoryStore;
    /// use ractor_session::{KvSession, SessionConfig, SessionError, SessionManager};
    ///
    /// let twice = SessionManager::builder(SessionConfig::default())
    ///     .with_store(Arc::new(MemoryStore::new()))
    ///     .with_durable(|| KvSession)
    ///     .with_durable_as("kv-again", || KvSession)
    ///     .spawn()
    ///     .await;
    /// assert!(matches!(twice, Err(SessionError::InvalidConfig { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn(self) -> Result<SessionManager, SessionError> {
        self.config.validate()?;
        let mut kinds = Kinds::default();
        for kind in self.kinds {
            kinds.insert(kind)?;
        }
        // The default session type is durable wherever durability is used: written to a
        // store, or parked (in memory, without one).
        if (self.store.is_some() || self.config.passivates())
            && kinds.of::<KvSession>().is_none()
            && !kinds.has_tag(KvSession::TYPE_TAG)
        {
            kinds.insert(Arc::new(Registered::new(KvSession::TYPE_TAG, || KvSession)))?;
        }
        if let Some(store) = &self.store {
            self.durability.validate()?;
            store.health().await.map_err(SessionError::store("check"))?;
        }
        telemetry::describe();
        passivation::telemetry::describe();
        let link = SupervisorLink::default();
        let supervisor = SessionSupervisor {
            shared: Arc::clone(&link),
        };
        let (supervisor, supervisor_task) = Actor::spawn(None, supervisor, ())
            .await
            .map_err(|source| SessionError::SupervisorFailed { source })?;
        let store = self.store.map(|store| (store, self.durability));
        let shared = Arc::new(Shared::new(
            self.config,
            supervisor.get_cell(),
            store,
            kinds,
        ));
        let _ = link.set(Arc::downgrade(&shared));
        let owner = Arc::downgrade(&shared);
        shared
            .registry
            .set_parked_end(ParkedEnd(Box::new(move |entry, reason| {
                if let Some(shared) = owner.upgrade() {
                    park::finish_parked(&shared, entry, reason);
                }
            })));
        let expiry_task = tokio::spawn(expiry::run(
            Arc::downgrade(&shared),
            Arc::clone(&shared.expiry_wake),
        ));
        let mut store_tasks = Vec::new();
        if let Some(persistence) = &shared.persistence {
            let (wake, closed) = persistence.signals();
            let weak = Arc::downgrade(persistence);
            store_tasks.push(tokio::spawn(persistence::run_flusher(
                weak.clone(),
                wake,
                Arc::clone(&closed),
            )));
            store_tasks.push(tokio::spawn(persistence::run_sweeper(weak, closed)));
        }
        Ok(SessionManager {
            shared,
            tasks: Arc::new(Mutex::new(Some(BackgroundTasks {
                expiry: expiry_task,
                supervisor: supervisor_task,
                store: store_tasks,
            }))),
        })
    }
}
