//! The live cart in a real browser: headless Chromium, driven over WebDriver by
//! ChromeDriver, opens the live cart, adds an item in one tab, sees it appear live in a
//! second tab of the same session, follows a session-ID rotation in both tabs, and sees the
//! "session expired" notice.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/install-test-deps` installs
//! them). Without them this test FAILS, saying so: it never passes silently.

use std::error::Error;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use ractor_session_test_support::poll::{PATIENCE, eventually};
use serde_json::json;

use crate::support::{Demo, KillOnDrop};

pub(crate) type TestResult = Result<(), Box<dyn Error>>;

/// Idle timeout of the demo in this test: long enough for the steps before expiry even on
/// a busy machine, short enough to wait for.
const IDLE_TTL: &str = "8s";

/// Finds `names[..]` on `PATH`, then in /usr/bin and /usr/lib/chromium.
pub(crate) fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/lib/chromium"),
    ]);
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// A fresh, empty Chromium profile directory, removed when dropped.
pub(crate) struct Profile(PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

pub(crate) async fn start_chromedriver(driver: &Path) -> (KillOnDrop, String) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
    let process = KillOnDrop(child);
    let url = format!("http://127.0.0.1:{port}");
    eventually("chromedriver is ready", || async {
        match reqwest::get(format!("{url}/status")).await {
            Ok(response) => response
                .text()
                .await
                .unwrap_or_default()
                .contains("\"ready\":true"),
            Err(_) => false,
        }
    })
    .await;
    (process, url)
}

pub(crate) async fn open_browser(driver_url: &str, chromium: &Path, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        // Background tabs must keep running timers and sockets at full speed.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--window-size=1024,768",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver_url)
        .await
        .unwrap_or_else(|e| panic!("ChromeDriver could not start Chromium: {e}"))
}

pub(crate) fn ensure(condition: bool, what: impl Into<String>) -> TestResult {
    if condition {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

pub(crate) async fn wait_for(client: &Client, xpath: &str, what: &str) -> TestResult {
    client
        .wait()
        .at_most(PATIENCE)
        .every(Duration::from_millis(50))
        .for_element(Locator::XPath(xpath))
        .await
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}").into())
}

pub(crate) const LIVE: &str = "//p[@id='status' and @class='live']";
pub(crate) const APPLE: &str = "//ul[@id='cart']/li[@data-name='apple']";
pub(crate) const PEAR: &str = "//ul[@id='cart']/li[@data-name='pear']";

/// Types `item` into the current tab's input and presses its add button.
pub(crate) async fn add_item(client: &Client, item: &str) -> TestResult {
    client
        .find(Locator::Id("item-input"))
        .await?
        .send_keys(item)
        .await?;
    client
        .find(Locator::Id("add-button"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn scenario(client: &Client, demo: &Demo) -> TestResult {
    // Tab 1 opens the page: a session starts, the live socket connects.
    client.goto(&demo.url).await?;
    wait_for(client, LIVE, "tab 1 goes live").await?;
    let tab1 = client.window().await?;

    // Tab 2: same browser, so same cookie, so same session.
    let tab2 = client.new_window(true).await?.handle;
    client.switch_to_window(tab2.clone()).await?;
    client.goto(&demo.url).await?;
    wait_for(client, LIVE, "tab 2 goes live").await?;
    ensure(
        client.find_all(Locator::XPath(APPLE)).await?.is_empty(),
        "the cart starts empty",
    )?;
    // A marker that a reload would erase: the update must arrive live, not by reloading.
    client.execute("window.liveMarker = 42;", vec![]).await?;

    // Add an item in tab 1.
    client.switch_to_window(tab1.clone()).await?;
    add_item(client, "apple").await?;
    wait_for(client, APPLE, "the item shows in tab 1").await?;

    // It appears in tab 2 by itself.
    client.switch_to_window(tab2.clone()).await?;
    wait_for(client, APPLE, "the item shows live in tab 2").await?;
    let marker = client.execute("return window.liveMarker;", vec![]).await?;
    ensure(marker == json!(42), "tab 2 was updated live, not reloaded")?;
    let text = client.find(Locator::XPath(APPLE)).await?.text().await?;
    ensure(
        text.contains("apple") && text.contains("1"),
        format!("line reads {text:?}"),
    )?;

    // Rotating the session ID (what a login does) keeps the cart, and both tabs follow
    // the session to its new ID: an item added in tab 2 shows up in tab 1.
    client.find(Locator::Id("rotate")).await?.click().await?;
    wait_for(
        client,
        "//p[@id='flash' and contains(., 'New session ID')]",
        "tab 2 rotates the session ID",
    )
    .await?;
    wait_for(client, LIVE, "tab 2 reconnects after rotation").await?;
    add_item(client, "pear").await?;
    client.switch_to_window(tab1.clone()).await?;
    wait_for(
        client,
        PEAR,
        "after rotation, tab 2's item shows live in tab 1",
    )
    .await?;
    wait_for(client, APPLE, "the cart survived rotation").await?;
    client.switch_to_window(tab2.clone()).await?;

    // Left idle, the session expires: the page says so.
    let notice = "//p[@id='notice' and not(@hidden) and \
                  contains(translate(., 'SESION XPRD', 'sesion xprd'), 'session expired')]";
    wait_for(client, notice, "tab 2 shows the session-expired notice").await?;

    // ...and reloads into a fresh session with an empty cart.
    let fresh = "//p[@id='status' and @class='live'][not(//ul[@id='cart']/li)]";
    wait_for(client, fresh, "tab 2 reloads into a fresh session").await?;
    let reloaded = client
        .execute("return window.liveMarker === undefined;", vec![])
        .await?;
    ensure(reloaded == json!(true), "tab 2 reloaded into a new page")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_added_in_one_tab_appears_live_in_another_then_expiry_is_shown() {
    let browser = Browser::open().await;
    let demo = Demo::start(&["--idle-ttl", IDLE_TTL]);
    browser
        .run(async |client| scenario(client, &demo).await)
        .await;
}

/// Headless Chromium under ChromeDriver, with a fresh profile; both end with it.
pub(crate) struct Browser {
    client: Client,
    _driver: KillOnDrop,
    _profile: Profile,
}

impl Browser {
    /// Starts ChromeDriver and Chromium; fails, saying what is missing, without them.
    pub(crate) async fn open() -> Self {
        let missing = "the browser test needs Chromium and ChromeDriver: run \
                       `scripts/install-test-deps` (Debian: `apt-get install -y chromium chromium-driver`)";
        let driver =
            find_program(&["chromedriver"]).unwrap_or_else(|| panic!("{missing}: no chromedriver"));
        let chromium = find_program(&["chromium", "chromium-browser"])
            .unwrap_or_else(|| panic!("{missing}: no chromium"));

        let (driver, driver_url) = start_chromedriver(&driver).await;
        let profile = Profile(std::env::temp_dir().join(format!(
            "live-cart-chromium-{}-{}",
            std::process::id(),
            free_port()
        )));
        std::fs::create_dir_all(&profile.0).expect("a profile directory");
        let client = open_browser(&driver_url, &chromium, &profile.0).await;
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs `scenario` in the browser, then ends the browser session whatever happened
    /// (so no Chromium outlives the test), and fails the test if the scenario failed.
    pub(crate) async fn run(self, scenario: impl AsyncFnOnce(&Client) -> TestResult) {
        let outcome = scenario(&self.client).await;
        let _ = self.client.clone().close().await;
        if let Err(error) = outcome {
            panic!("browser scenario failed: {error}");
        }
    }
}
