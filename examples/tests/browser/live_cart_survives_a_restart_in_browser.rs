//! The live cart in a real browser across a restart of the server: the page stays open
//! while the demo stops (SIGTERM) and starts again on the same port and store; its live
//! socket reconnects by itself, without a reload, and the cart is the stored one — an item
//! added after the restart joins the items added before it.
//!
//! Needs Chromium and ChromeDriver (see `chromium`); without them this test FAILS, saying so.

use fantoccini::{Client, Locator};
use serde_json::json;
use tempfile::TempDir;

use crate::chromium::{Browser, TestResult, ensure, wait_for};
use crate::live_cart_in_browser::{APPLE, LIVE, PEAR, add_item};
use crate::support::Demo;

/// The page's status line while its live socket is down.
const DOWN: &str = "//p[@id='status' and @class='down']";

/// The demo in `dir`, on `port` (0: any free one).
fn demo_in(dir: &TempDir, port: u16) -> Demo {
    let port = port.to_string();
    Demo::spawn_in(dir.path(), &["--dev", "--port", &port], &[])
}

async fn scenario(client: &Client, dir: &TempDir, mut demo: Demo) -> TestResult {
    client.goto(&demo.url).await?;
    wait_for(client, LIVE, "the page goes live").await?;
    add_item(client, "apple").await?;
    wait_for(client, APPLE, "the item shows").await?;
    // A marker that a reload would erase: the page must carry on, not start over.
    client.execute("window.liveMarker = 42;", vec![]).await?;

    // A deploy: the demo stops gracefully, and the page notices its socket is gone.
    let port = demo.port();
    ensure(demo.terminate().await, "the demo exits cleanly on SIGTERM")?;
    wait_for(client, DOWN, "the page sees the server go").await?;

    // Started again on the same port and store, with the page still open.
    let demo = demo_in(dir, port);
    wait_for(client, LIVE, "the live socket reconnects").await?;
    let marker = client.execute("return window.liveMarker;", vec![]).await?;
    ensure(marker == json!(42), "the page reconnected without a reload")?;

    // The restored session takes the next item over the live socket, and its cart still
    // holds the first.
    add_item(client, "pear").await?;
    wait_for(client, PEAR, "an item added after the restart shows").await?;
    wait_for(client, APPLE, "the item added before the restart is kept").await?;
    let lines = client
        .find_all(Locator::XPath("//ul[@id='cart']/li"))
        .await?;
    ensure(lines.len() == 2, format!("two lines, not {}", lines.len()))?;
    drop(demo);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_page_reconnects_to_its_restored_cart_after_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_in(&dir, 0);
    let browser = Browser::open(1024, 768).await;
    let outcome = scenario(&browser.client, &dir, demo).await;
    browser.close(outcome).await;
}
