//! The overview: the epoch clock and every provider ranked by reputation.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::{at, eth, layout, PageError};
use crate::{words, DashboardState};

/// `GET {base}/`
pub(crate) async fn page_route(state: &DashboardState) -> Result<Response, PageError> {
    let base = state.base();
    let o = state.overview().await.map_err(at(state))?;
    let c = &o.clock;
    let body = html! {
        h1 { "SLA oracle" }
        section aria-labelledby="clock" {
            h2 id="clock" { "Epoch clock" }
            dl.facts {
                dt { "Current epoch" } dd data-field="current_epoch" { (c.current_epoch) }
                dt { "Closes in" } dd { (words::duration_s(c.ms_to_close / 1_000)) " (" (words::utc(c.epoch_ends_ms)) ")" }
                dt { "Epoch length" } dd { (words::duration_s(u64::from(c.epoch_length_s))) }
                dt { "Last epoch confirmed on chain" }
                dd data-field="last_confirmed_epoch" {
                    @match c.last_confirmed_epoch { Some(e) => (e), None => "none yet" }
                }
                dt { "Oracle lag" }
                dd data-field="oracle_lag_epochs" {
                    @match c.oracle_lag_epochs {
                        Some(0) => "up to date",
                        Some(n) => { (n) " closed epochs not yet on chain" },
                        None => "no result yet",
                    }
                }
                dt { "Chain block (indexed)" }
                dd { @match c.chain_block { Some(b) => (b), None => "not indexed yet" } }
            }
        }
        section aria-labelledby="providers" {
            h2 id="providers" { "Providers by reputation" }
            p.hint { "Compliance: share of applied epoch results without a violation since epoch "
                (o.compliance_since_epoch) " (the last 30 days). "
                a href="/v1/overview" { "JSON" } }
            div.scroll {
                table id="providers-table" {
                    thead { tr {
                        th scope="col" { "#" } th scope="col" { "Provider" }
                        th scope="col" { "Reputation" } th scope="col" { "Bonded" }
                        th scope="col" { "Active data units" } th scope="col" { "Compliance, 30 days" }
                        th scope="col" { "Penalties paid" }
                    } }
                    tbody {
                        @for (i, p) in o.providers.iter().enumerate() {
                            tr data-provider=(p.address) {
                                td { (i + 1) }
                                td { a href={ (base) "/providers/" (p.address) } { code { (p.address) } } }
                                td data-field="reputation" { (p.reputation) }
                                td { (eth(&p.bonded_wei)) }
                                td data-field="active_data_units" { (p.active_data_units) }
                                td data-field="compliance" {
                                    @match p.compliance.share_bps {
                                        Some(bps) => { (words::percent(bps)) " (" (p.compliance.compliant) " of " (p.compliance.results) ")" },
                                        None => "no results",
                                    }
                                }
                                td data-field="penalties_paid_wei" data-wei=(p.penalties_paid_wei) { (eth(&p.penalties_paid_wei)) }
                            }
                        }
                    }
                }
            }
            @if o.providers.is_empty() { p { "No provider has registered yet." } }
        }
    };
    Ok(super::page(layout(base, "Overview", body)))
}

/// `GET {base}/`
pub(crate) async fn page(State(state): State<DashboardState>) -> Result<Response, PageError> {
    page_route(&state).await
}
