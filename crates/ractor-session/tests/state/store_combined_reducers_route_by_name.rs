//! Combined reducers each own a slice of the state and get the actions routed to them by
//! name: by prefix (stripped before the reducer sees the name; the empty prefix takes all),
//! or explicitly by reducer name. An action no reducer takes changes nothing and goes to
//! the configured handler.

use std::sync::{Arc, Mutex};

use ractor_session::SessionManager;
use ractor_session::store::{
    Combined, NamedAction, Routable, SliceReducer, Store, StoreError, StoreSessions, Unhandled,
};
use ractor_session_test_support::config::config;
use ractor_session_test_support::logs::Logs;
use tracing::Level;

type Action = NamedAction<u32>;

/// Each slice is the list of names its reducer took, as the reducer saw them.
#[derive(Clone, Debug, Default, PartialEq)]
struct App {
    cart: Vec<String>,
    user: Vec<String>,
    audit: Vec<String>,
}

/// A reducer that takes the names in `known` (all of them when empty), recording each.
fn taking(
    known: &'static [&'static str],
) -> impl Fn(&Vec<String>, &str, &Action) -> Option<Vec<String>> + Send + Sync + 'static {
    move |seen, name, _| {
        (known.is_empty() || known.contains(&name))
            .then(|| [seen.as_slice(), &[name.to_owned()]].concat())
    }
}

fn cart_and_user() -> Combined<App, Action> {
    Combined::new()
        .with_reducer(SliceReducer::new(
            "cart",
            |app: &mut App| &mut app.cart,
            taking(&["add", "clear"]),
        ))
        .with_reducer(
            SliceReducer::new(
                "user",
                |app: &mut App| &mut app.user,
                taking(&["login", "clear"]),
            )
            .with_prefix("account.user"),
        )
}

fn with_audit() -> Store<App, Action> {
    let audit = SliceReducer::new("audit", |app: &mut App| &mut app.audit, taking(&[]));
    Store::combined(
        App::default(),
        cart_and_user().with_reducer(audit.with_prefix("")),
    )
}

fn act(name: &str) -> Action {
    NamedAction::new(name, 0)
}

#[test]
fn actions_reach_the_reducers_of_their_prefix_without_it() {
    let mut store = with_audit();
    store.dispatch(act("cart.add")).unwrap();
    store.dispatch(act("account.user.login")).unwrap();
    store.dispatch(act("user.login")).unwrap(); // the user reducer's prefix is not its name
    assert_eq!(
        store.state(),
        &App {
            cart: vec!["add".into()],
            user: vec!["login".into()],
            // The catch-all sees every action, with its whole name.
            audit: vec![
                "cart.add".into(),
                "account.user.login".into(),
                "user.login".into()
            ],
        }
    );
    assert_eq!(store.seq(), 3);
}

#[test]
fn targeted_actions_reach_the_named_reducers_only() {
    let mut store = with_audit();
    store
        .dispatch(act("clear").with_targets(["cart", "user"]))
        .unwrap();
    assert_eq!(store.state().cart, ["clear"]);
    assert_eq!(store.state().user, ["clear"]);
    assert!(store.state().audit.is_empty(), "the catch-all is not named");

    // A name with the reducer's prefix loses it; another reaches it whole.
    store
        .dispatch(act("cart.add").with_targets(["cart", "audit"]))
        .unwrap();
    assert_eq!(store.state().cart, ["clear", "add"]);
    assert_eq!(store.state().audit, ["cart.add"]);
    assert_eq!(store.state().user, ["clear"]);
}

#[test]
fn targeting_an_unknown_reducer_is_a_typed_error_that_changes_nothing() {
    let mut store = with_audit();
    match store.dispatch(act("cart.add").with_targets(["cart", "carts"])) {
        Err(StoreError::UnknownReducer { name, known }) => {
            assert_eq!(name, "carts");
            assert_eq!(known, ["cart", "user", "audit"]);
        }
        other => panic!("expected UnknownReducer, got {other:?}"),
    }
    assert_eq!((store.state(), store.seq()), (&App::default(), 0));
}

#[test]
fn an_action_no_reducer_takes_changes_nothing_and_goes_to_the_handler() {
    let missed = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&missed);
    let handler = Unhandled::call(move |action: &Action| {
        log.lock().unwrap().push(action.action_name().to_owned());
    });
    let mut store = Store::combined(App::default(), cart_and_user().with_unhandled(handler));
    store.dispatch(act("cart.add")).unwrap();
    let sub = store.subscribe(|app: &App| app.clone()).unwrap();

    // Routed to nobody, and routed to a reducer that does not take it.
    assert_eq!(store.dispatch(act("wishlist.add")).unwrap().cart, ["add"]);
    store.dispatch(act("cart.remove")).unwrap();
    assert_eq!(*missed.lock().unwrap(), ["wishlist.add", "cart.remove"]);
    assert_eq!(store.state().cart, ["add"]);
    assert_eq!((store.seq(), store.history().len()), (1, 1));
    assert!(!sub.has_changed(), "nothing changed, so nobody is told");
    // Time travel does not call the handler again.
    assert_eq!(store.state_at(1).unwrap().cart, ["add"]);
    assert_eq!(missed.lock().unwrap().len(), 2);
}

#[test]
fn a_typed_enum_is_routed_by_the_names_it_gives() {
    #[derive(Clone, Debug)]
    enum Typed {
        Add(u32),
        Other,
    }
    impl Routable for Typed {
        fn action_name(&self) -> &str {
            match self {
                Typed::Add(_) => "counter.add",
                Typed::Other => "elsewhere.other",
            }
        }
    }
    let counter = SliceReducer::new(
        "counter",
        |n: &mut u32| n,
        |n: &u32, name: &str, action: &Typed| match (name, action) {
            ("add", Typed::Add(k)) => Some(n + k),
            _ => None,
        },
    );
    let mut store = Store::combined(0, Combined::new().with_reducer(counter));
    store.dispatch(Typed::Add(3)).unwrap();
    store.dispatch(Typed::Other).unwrap();
    assert_eq!((*store.state(), store.seq()), (3, 1));
}

/// The level of every event about an action no reducer took, logged as a store routes one
/// action a reducer takes and one it does not.
fn levels_logged(unhandled: Unhandled<Action>) -> Vec<Level> {
    let (logs, capture) = Logs::capture(Level::TRACE);
    let mut store = Store::combined(App::default(), cart_and_user().with_unhandled(unhandled));
    store.dispatch(act("cart.add")).unwrap();
    store.dispatch(act("nobody.home")).unwrap();
    drop(capture);
    logs.text()
        .lines()
        // An event about an action has an `action` field.
        .filter(|line| line.contains(" action="))
        // A line reads: time, level, target, message and fields.
        .map(|line| {
            line.split_whitespace()
                .nth(1)
                .and_then(|level| level.parse().ok())
                .unwrap_or_else(|| panic!("no level in {line:?}"))
        })
        .collect()
}

#[test]
fn the_unhandled_handler_logs_at_debug_or_warn_or_says_nothing() {
    assert_eq!(levels_logged(Unhandled::Log), [Level::DEBUG]);
    assert_eq!(levels_logged(Unhandled::Warn), [Level::WARN]);
    assert!(levels_logged(Unhandled::Silent).is_empty());
    assert_eq!(levels_logged(Unhandled::default()), [Level::DEBUG]);
}

#[tokio::test]
async fn a_combined_store_session_routes_dispatches_and_time_travels() {
    let manager = SessionManager::spawn(config()).await.unwrap();
    let apps = StoreSessions::new(manager.clone());
    let app = apps.start("visitor", with_audit()).await.unwrap();
    app.cast(act("cart.add")).unwrap();
    let state = app.dispatch(act("account.user.login")).await.unwrap();
    assert_eq!(
        (state.cart.len(), state.user.len(), state.audit.len()),
        (1, 1, 2)
    );
    assert!(matches!(
        app.dispatch(act("x").with_targets(["nope"])).await,
        Err(StoreError::UnknownReducer { .. })
    ));
    let first = app.run(|store| store.state_at(1)).await.unwrap().unwrap();
    assert_eq!((first.cart.len(), first.user.len()), (1, 0));
    manager.shutdown().await;
}

#[test]
#[should_panic(expected = "two reducers are named \"cart\"")]
fn two_reducers_of_one_name_are_refused_when_the_store_is_built() {
    let again = SliceReducer::new("cart", |app: &mut App| &mut app.user, taking(&[]));
    let _ = cart_and_user().with_reducer(again);
}
