//! The HTML pages, rendered on the server with maud (every interpolated value is escaped).
//! Each page builds its view with `data/` (the same value the JSON API serves) and lays it out;
//! semantic HTML, status always in words, usable from a phone-width screen and the keyboard.

pub(crate) mod data_unit;
pub(crate) mod overview;
pub(crate) mod provider;
pub(crate) mod report;
pub(crate) mod status;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

use crate::data::data_unit::Chart;
use crate::data::status::SlaStatus;
use crate::error::DashboardError;
use crate::{params, words, DashboardState};

/// A [`DashboardError`] shown as a page.
pub(crate) struct PageError(pub(crate) DashboardError, pub(crate) String);

impl From<DashboardError> for PageError {
    fn from(e: DashboardError) -> Self {
        PageError(e, String::new())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(e, base) = self;
        let status = e.status();
        let body = layout(
            &base,
            status.canonical_reason().unwrap_or("Error"),
            html! {
                h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("error")) }
                p.problem { (e.detail()) }
                p { a href=(base) { "Back to the overview" } }
            },
        );
        (status, Html(body.into_string())).into_response()
    }
}

/// Attaches the base path to an error so its page links back.
pub(crate) fn at(state: &DashboardState) -> impl Fn(DashboardError) -> PageError + '_ {
    move |e| PageError(e, state.base().to_owned())
}

/// The frame of every page.
pub(crate) fn layout(base: &str, title: &str, main: Markup) -> Markup {
    let now = sla_runtime::now_ms();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SLA oracle" }
                link rel="stylesheet" href={ (base) "/assets/style.css" };
                link rel="icon" type="image/svg+xml" href={ (base) "/assets/favicon.svg" };
                script src={ (base) "/assets/live.js" } defer {}
            }
            body data-live={ (base) "/live" } {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Site" {
                        a.brand href=(base) { "SLA oracle" }
                        form.search action={ (base) "/search" } method="get" role="search" {
                            label for="q" { "Search" }
                            input id="q" name="q" type="search" required
                                placeholder="provider 0x…, data unit id or report hash";
                            button type="submit" { "Go" }
                        }
                    }
                }
                main id="main" { (main) }
                footer {
                    p id="updated" aria-live="polite" data-rendered-ms=(now) {
                        "last updated " time datetime=(now) { (words::utc(now)) }
                        span.live-state { " · live: checks for new data every 3 s" }
                    }
                    p { "Everything here is read from public data: every result can be re-derived with "
                        code { "sla audit" } ". The same data as JSON: "
                        a href="/api" { "the API" } " (" a href="/openapi.json" { "OpenAPI 3.1" } ")." }
                }
            }
        }
    }
}

/// A status in words with its class (never colour alone).
pub(crate) fn status_word(s: SlaStatus) -> Markup {
    html! { span class={ "status " (s.class()) } { (s.words()) } }
}

/// A chart with its x range.
pub(crate) fn chart(c: &Chart, first: u64, last: u64) -> Markup {
    crate::chart::render(c, first, last)
}

/// A transaction hash, shortened for display with the whole hash in its title.
pub(crate) fn tx(hash: &Option<String>) -> Markup {
    match hash {
        Some(h) => html! { code.hash title=(h) { (short(h)) } },
        None => html! { "—" },
    }
}

/// `0x1234…abcd`.
pub(crate) fn short(h: &str) -> String {
    if h.len() > 14 {
        format!("{}…{}", &h[..8], &h[h.len() - 4..])
    } else {
        h.to_owned()
    }
}

/// Wei in ETH, with the exact wei in the title.
pub(crate) fn eth(wei: &str) -> Markup {
    let v: u128 = wei.parse().unwrap_or(0);
    html! { span title={ (wei) " wei" } { (words::eth(v)) } }
}

/// `GET {base}/search?q=`: a provider address, a data unit id or a report hash, to its page.
pub(crate) async fn search(
    State(state): State<DashboardState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let base = state.base();
    let q = params::query(raw.as_deref(), &["q"]).map_err(at(&state))?;
    let q = q.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
    let hex = q.strip_prefix("0x").unwrap_or(&q);
    let is_hex = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Redirect::to(&format!("{base}/data-units/{q}")).into_response());
    }
    if is_hex && hex.len() == 40 {
        return Ok(
            Redirect::to(&format!("{base}/providers/0x{}", hex.to_lowercase())).into_response(),
        );
    }
    if is_hex && hex.len() == 64 {
        return Ok(Redirect::to(&format!("{base}/reports/{}", hex.to_lowercase())).into_response());
    }
    Err(PageError(
        DashboardError::Malformed {
            field: "q",
            detail: format!(
                "{q:?} is none of: a provider address (0x and 40 hex digits), a data unit id \
                 (digits), a report hash (64 hex digits)"
            ),
        },
        base.to_owned(),
    ))
}

/// Any other path under the dashboard.
pub(crate) async fn not_found(State(state): State<DashboardState>) -> PageError {
    PageError(
        DashboardError::NotFound("page".into()),
        state.base().to_owned(),
    )
}

/// An HTML answer.
pub(crate) fn page(m: Markup) -> Response {
    (StatusCode::OK, Html(m.into_string())).into_response()
}
