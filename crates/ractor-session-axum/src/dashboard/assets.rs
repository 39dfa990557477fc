//! The dashboard's files, compiled in: the page, its script, its style and its icon (no
//! CDN, nothing inline, so a strict Content-Security-Policy holds), and its figures as JSON.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::request::Parts;

use super::board::Board;
use super::guard::mount;

const PAGE: &str = include_str!("assets/dashboard.html");
const SCRIPT: &str = include_str!("assets/dashboard.js");
const STYLE: &str = include_str!("assets/dashboard.css");
const ICON: &str = include_str!("assets/dashboard.svg");

/// The page, its file links under the path it is mounted at.
pub(super) async fn page(request: Parts) -> Response {
    let (prefix, _) = mount(&request);
    let page = PAGE.replace("{prefix}", &escape(prefix));
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

pub(super) async fn script() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

pub(super) async fn style() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

pub(super) async fn icon() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml")], ICON).into_response()
}

/// The figures now, for scripts and monitoring: what the page shows besides its charts.
pub(super) async fn figures(State(board): State<Arc<Board>>) -> Response {
    let figures = board.figures_now();
    ([(CONTENT_TYPE, "application/json")], figures).into_response()
}

/// `text` safe in an HTML attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        assert!(PAGE.contains(r#"<script src="{prefix}/dashboard.js" defer></script>"#));
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert!(!PAGE.contains("<style") && !PAGE.contains("style="));
        let handler = PAGE
            .split(|c: char| c.is_whitespace() || c == '<')
            .any(|word| word.starts_with("on") && word.contains('='));
        assert!(!handler, "no inline event handler");
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("eval("));
    }

    #[test]
    fn attribute_text_is_escaped() {
        assert_eq!(escape(r#"/a"b<c>&'"#), "/a&quot;b&lt;c&gt;&amp;&#39;");
    }
}
