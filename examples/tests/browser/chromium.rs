//! Headless Chromium under ChromeDriver for the browser tests: started on a free loopback
//! port with a fresh profile, and closed (with everything it started) when a test is done.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/install-test-deps` installs
//! them). Without them a test FAILS, saying so: it never passes silently.

use std::error::Error;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use ractor_session_test_support::poll::{PATIENCE, eventually};
use serde_json::json;

use crate::support::KillOnDrop;

/// What a browser scenario returns: the first step that failed, said in words.
pub(crate) type TestResult = Result<(), Box<dyn Error>>;

/// Finds `names[..]` on `PATH`, then in /usr/bin and /usr/lib/chromium.
fn find_program(names: &[&str]) -> Option<PathBuf> {
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
struct Profile(PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

async fn start_chromedriver(driver: &Path) -> (KillOnDrop, String) {
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

async fn connect(driver_url: &str, chromium: &Path, profile: &Path, window: (u32, u32)) -> Client {
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
        &format!("--window-size={},{}", window.0, window.1),
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

/// Headless Chromium, driven by its own ChromeDriver, with a fresh profile.
pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: KillOnDrop,
    _profile: Profile,
}

impl Browser {
    /// Starts ChromeDriver and Chromium with a window of `width` × `height` pixels.
    ///
    /// # Panics
    ///
    /// When Chromium or ChromeDriver is missing (saying how to install them), or does not
    /// start.
    pub(crate) async fn open(width: u32, height: u32) -> Self {
        let missing = "the browser tests need Chromium and ChromeDriver: run \
                       `scripts/install-test-deps` (Debian: `apt-get install -y chromium chromium-driver`)";
        let driver =
            find_program(&["chromedriver"]).unwrap_or_else(|| panic!("{missing}: no chromedriver"));
        let chromium = find_program(&["chromium", "chromium-browser"])
            .unwrap_or_else(|| panic!("{missing}: no chromium"));
        let (driver_process, driver_url) = start_chromedriver(&driver).await;
        let profile = Profile(std::env::temp_dir().join(format!(
            "live-cart-chromium-{}-{}",
            std::process::id(),
            free_port()
        )));
        std::fs::create_dir_all(&profile.0).expect("a profile directory");
        let client = connect(&driver_url, &chromium, &profile.0, (width, height)).await;
        Self {
            client,
            _driver: driver_process,
            _profile: profile,
        }
    }

    /// Ends the browser session (so no Chromium outlives the test), then fails the test if
    /// the scenario did.
    pub(crate) async fn close(self, outcome: TestResult) {
        let _ = self.client.close().await;
        if let Err(error) = outcome {
            panic!("browser scenario failed: {error}");
        }
    }
}

/// `Ok` if `condition` holds, else the error `what`.
pub(crate) fn ensure(condition: bool, what: impl Into<String>) -> TestResult {
    if condition {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Waits until the page has an element at `xpath`; the error says `what` did not happen.
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
