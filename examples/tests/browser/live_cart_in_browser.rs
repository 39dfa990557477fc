//! The live cart in a real browser: headless Chromium, driven over WebDriver by
//! ChromeDriver, opens the live cart, adds an item in one tab, sees it appear live in a
//! second tab of the same session, follows a session-ID rotation in both tabs, and sees the
//! "session expired" notice.
//!
//! Needs Chromium and ChromeDriver (see `chromium`); without them this test FAILS, saying so.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::chromium::{Browser, TestResult, ensure, wait_for};
use crate::support::Demo;

/// Idle timeout of the demo in this test: long enough for the steps before expiry even on
/// a busy machine, short enough to wait for.
const IDLE_TTL: &str = "8s";

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
    let demo = Demo::start(&["--idle-ttl", IDLE_TTL]);
    let browser = Browser::open(1024, 768).await;
    let outcome = scenario(&browser.client, &demo).await;
    browser.close(outcome).await;
}
