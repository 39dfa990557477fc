//! The live session dashboard in a real browser: headless Chromium opens the demo's
//! dashboard through the login link the demo printed, under the dashboard's strict
//! Content-Security-Policy; as visitors start sessions through the demo's HTTP API, log out
//! and rotate their IDs, the figures on the page change by themselves and the charts draw
//! their points. A screenshot of the page is saved, and the chart's own screenshot is
//! checked for the pixels of its line.
//!
//! Needs Chromium and ChromeDriver (see `chromium`); without them this test FAILS, saying so.

use std::path::PathBuf;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::chromium::{Browser, TestResult, ensure, wait_for};
use crate::support::Demo;

/// Where the screenshots go: the target directory's scratch space for tests.
fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The figure with this id reads `value`.
fn figure(id: &str, value: &str) -> String {
    format!("//*[@id='{id}' and normalize-space(.)='{value}']")
}

/// A line of the chart `chart` for `series` with at least one point above zero.
fn drawn(chart: &str, series: &str) -> String {
    format!(
        "//*[@id='{chart}']/*[local-name()='polyline' and @data-series='{series}' \
         and @data-nonzero > 0]"
    )
}

/// Waits for each `(xpath, what)` in turn, as [`wait_for`] does.
async fn wait_for_all(client: &Client, steps: &[(String, &str)]) -> TestResult {
    for (xpath, what) in steps {
        wait_for(client, xpath, what).await?;
    }
    Ok(())
}

/// A visitor of the demo: a client that keeps its session cookie.
fn visitor() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client builds")
}

async fn expect_ok(response: reqwest::Result<reqwest::Response>, what: &str) -> TestResult {
    let status = response?.status();
    ensure(status.is_success(), format!("{what}: {status}"))
}

/// Counts the pixels of `png` (decoded by the browser, on a blank page without the
/// dashboard's policy) within 40 of the colour `rgb` in each channel.
async fn pixels_of_colour(
    client: &Client,
    png: &[u8],
    rgb: [u8; 3],
) -> Result<u64, Box<dyn std::error::Error>> {
    let script = r#"
        const [bytes, rgb, done] = arguments;
        createImageBitmap(new Blob([new Uint8Array(bytes)], { type: "image/png" }))
          .then((bitmap) => {
            const canvas = document.createElement("canvas");
            canvas.width = bitmap.width;
            canvas.height = bitmap.height;
            const context = canvas.getContext("2d");
            context.drawImage(bitmap, 0, 0);
            const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
            let count = 0;
            for (let i = 0; i < data.length; i += 4) {
              if ([0, 1, 2].every((c) => Math.abs(data[i + c] - rgb[c]) <= 40)) count += 1;
            }
            done(count);
          })
          .catch((error) => done(String(error)));
    "#;
    let counted = client
        .execute_async(script, vec![json!(png), json!(rgb)])
        .await?;
    counted
        .as_u64()
        .ok_or_else(|| format!("the browser could not read the screenshot: {counted}").into())
}

async fn scenario(client: &Client, demo: &Demo) -> TestResult {
    let login = demo
        .dashboard_url
        .as_deref()
        .ok_or("the demo printed no dashboard address")?;
    ensure(login.contains("?token="), format!("a login link: {login}"))?;

    // The login link lands on the page itself, the token gone from the address.
    client.goto(login).await?;
    wait_for(
        client,
        "//p[@id='status' and @class='live']",
        "the page goes live",
    )
    .await?;
    let address = client.current_url().await?;
    ensure(
        address.path().ends_with("/dashboard") && address.query().is_none(),
        format!("the token left the address: {address}"),
    )?;
    wait_for(
        client,
        &figure("sessions-active", "0"),
        "no session at first",
    )
    .await?;
    wait_for(client, &figure("sessions-parked", "n/a"), "no parking yet").await?;

    // Four visitors open the shop: four sessions start.
    let visitors: Vec<reqwest::Client> = (0..4).map(|_| visitor()).collect();
    for visitor in &visitors {
        expect_ok(visitor.get(&demo.url).send().await, "a visit").await?;
    }
    wait_for_all(
        client,
        &[
            (figure("sessions-active", "4"), "four sessions show"),
            (figure("started", "4"), "four starts show"),
            (
                drawn("chart-started", "started"),
                "the starts chart has points",
            ),
            (
                drawn("chart-active", "active"),
                "the sessions chart has points",
            ),
        ],
    )
    .await?;

    // Two log out, one logs in (its ID rotates).
    let api = |path: &str| format!("{}/api/{path}", demo.url);
    for visitor in &visitors[..2] {
        expect_ok(visitor.post(api("logout")).send().await, "a logout").await?;
    }
    expect_ok(visitors[2].post(api("rotate")).send().await, "a rotation").await?;
    wait_for_all(
        client,
        &[
            (figure("ended-terminated", "2"), "two logouts show"),
            (figure("sessions-active", "2"), "two sessions are left"),
            (figure("rotated", "1"), "the rotation shows"),
            (
                drawn("chart-ended", "terminated"),
                "the ends chart has points",
            ),
            (drawn("chart-ended", "rotated"), "the rotation is charted"),
        ],
    )
    .await?;
    let by_type = client.find(Locator::Id("by-type")).await?.text().await?;
    ensure(
        by_type.contains("CartSession"),
        format!("sessions per type: {by_type}"),
    )?;

    // The page as it is drawn, saved for people to look at.
    client.set_window_size(1280, 1500).await?;
    let page = client.screenshot().await?;
    let saved = screenshot_path("live_cart_dashboard.png");
    std::fs::write(&saved, &page)?;
    ensure(page.starts_with(b"\x89PNG"), "the screenshot is a PNG")?;
    println!("dashboard screenshot: {}", saved.display());

    // The starts chart as drawn: its line's colour (#2b6fe0) is on the screen.
    let chart = client
        .find(Locator::Id("chart-started"))
        .await?
        .screenshot()
        .await?;
    std::fs::write(
        screenshot_path("live_cart_dashboard_starts_chart.png"),
        &chart,
    )?;
    let dashboard = client.window().await?;
    let blank = client.new_window(true).await?.handle;
    client.switch_to_window(blank).await?;
    client.goto("about:blank").await?;
    let line = pixels_of_colour(client, &chart, [0x2b, 0x6f, 0xe0]).await?;
    client.close_window().await?;
    client.switch_to_window(dashboard).await?;
    ensure(
        line >= 20,
        format!("the starts chart shows {line} pixels of its line"),
    )?;

    let revived: Value = client
        .execute(
            "return document.getElementById('revived').textContent;",
            vec![],
        )
        .await?;
    // The demo keeps its sessions in a store, so revivals are counted: none happened here
    // (no session left memory), and the figure says so rather than "n/a".
    ensure(revived == json!("0"), format!("revivals read {revived}"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_figures_and_charts_follow_sessions_live() {
    let demo = Demo::start(&["--metrics-port", "0"]);
    let browser = Browser::open(1280, 1000).await;
    let outcome = scenario(&browser.client, &demo).await;
    browser.close(outcome).await;
}
