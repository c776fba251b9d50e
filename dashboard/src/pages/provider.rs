//! A provider's page: stake, reputation over time, profiles in words, data units with their
//! status, penalties with their transactions, and the links to share (status page, badge,
//! exports).

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use super::{at, chart, eth, layout, status_word, tx, PageError};
use crate::data::data_unit::{Chart, Series};
use crate::data::provider::{provider, ProviderView};
use crate::error::DashboardError;
use crate::{params, words, DashboardState};

/// The reputation chart: one point per change made by a result batch, by epoch.
pub(crate) fn reputation_chart(v: &ProviderView) -> Chart {
    Chart {
        id: "reputation".into(),
        title: "reputation (0 to 10000), after each epoch's results".into(),
        unit: "score",
        threshold: None,
        bound: None,
        series: vec![Series {
            name: "reputation",
            points: v
                .reputation_history
                .iter()
                .filter_map(|p| Some((p.epoch?, u64::from(p.reputation))))
                .collect(),
        }],
    }
}

/// The reporters' lateness in words.
pub(crate) fn reporters(lines: &[crate::data::status::ReporterLine], now: u64) -> Markup {
    html! {
        ul.reporters {
            @for r in lines {
                li data-role=(r.role.as_str()) {
                    (r.role.as_str()) ": "
                    @match r.last_period_end_ms {
                        Some(end) => { "last report up to " (words::ago(end, now)) },
                        None => "no report yet",
                    }
                    @if r.late { " " strong.status.warn { "late" } }
                }
            }
        }
    }
}

/// The view of the provider named by a path parameter, and when it was built; the error page
/// when there is none.
pub(crate) async fn load(
    state: &DashboardState,
    address: &str,
) -> Result<(ProviderView, u64), PageError> {
    let address = params::address(address).map_err(at(state))?;
    let now = sla_runtime::now_ms();
    let v = provider(state.source(), &address, now)
        .await
        .map_err(at(state))?
        .ok_or_else(|| at(state)(DashboardError::NotFound("provider".into())))?;
    Ok((v, now))
}

/// `GET {base}/providers/{address}`
pub(crate) async fn page(
    State(state): State<DashboardState>,
    Path(address): Path<String>,
) -> Result<Response, PageError> {
    let base = state.base();
    let (v, now) = load(&state, &address).await?;
    let rep = reputation_chart(&v);
    let (first, last) = match (rep.series[0].points.first(), rep.series[0].points.last()) {
        (Some(a), Some(b)) => (a.0, b.0),
        _ => (0, 1),
    };
    let body = html! {
        h1 { "Provider " code.addr { (v.address) } }
        p.links {
            a href={ (base) "/status/" (v.address) } { "Public status page" } " · "
            a href={ "/v1/providers/" (v.address) } { "JSON" } " · "
            a href={ "/v1/providers/" (v.address) "/results?format=csv" } { "Export results (CSV)" } " · "
            a href={ "/v1/providers/" (v.address) "/results" } { "(JSON)" }
        }
        dl.facts {
            dt { "Reputation" } dd data-field="reputation" { (v.reputation) " of 10000" }
            dt { "Bonded" } dd data-field="bonded_wei" { (eth(&v.bonded_wei)) }
            dt { "Unbonding" } dd {
                (eth(&v.unbonding_wei))
                @if v.unbonding_release_at_s > 0 { " (released " (words::utc(v.unbonding_release_at_s * 1_000)) ")" }
            }
            @if v.removed || v.suspended_until_s > 0 {
                dt { "Court decision" } dd data-field="suspension" {
                    @if v.removed { "removed: accepts no allocation again" }
                    @else { "suspended from new allocations until " (words::utc(v.suspended_until_s * 1_000)) }
                }
            }
            dt { "Withdrawable" } dd { (eth(&v.withdrawable_wei)) }
            dt { "Compliance, 30 days" } dd data-field="compliance" {
                @match v.compliance.share_bps {
                    Some(bps) => { (words::percent(bps)) " of " (v.compliance.results) " results" },
                    None => "no results yet",
                }
            }
            dt { "Penalties paid" } dd data-field="penalties_paid_wei" { (eth(&v.penalties_paid_wei)) }
        }
        section aria-labelledby="rep" {
            h2 id="rep" { "Reputation over time" }
            (chart(&rep, first, last))
        }
        section aria-labelledby="units" {
            h2 id="units" { "Data units" }
            div.scroll { table id="units-table" {
                thead { tr { th scope="col" { "Data unit" } th scope="col" { "Consumer" }
                    th scope="col" { "Status" } th scope="col" { "Why" }
                    th scope="col" { "Uptime (last judged)" } th scope="col" { "Reporters" } } }
                tbody {
                    @for u in &v.data_units {
                        tr data-data-unit=(u.data_unit) {
                            td { a href={ (base) "/data-units/" (u.data_unit) } { (u.data_unit) } }
                            td { code.addr { (super::short(&u.consumer)) } }
                            td data-field="status" { (status_word(u.status)) }
                            td { ul.reasons { @for r in &u.reasons { li { (r) } } } }
                            td { @match u.last_judged {
                                Some((e, bps)) => { (words::percent(bps.into())) " (epoch " (e) ")" },
                                None => "—",
                            } }
                            td { (reporters(&u.reporters, now)) }
                        }
                    }
                }
            } }
            @if v.data_units.is_empty() { p { "No data unit yet." } }
            @if (v.data_units.len() as u64) < v.data_units_total {
                p.hint { "Showing the first " (v.data_units.len()) " of " (v.data_units_total)
                    " data units; every one's results are in the export." }
            }
        }
        section aria-labelledby="profiles" {
            h2 id="profiles" { "SLA profiles" }
            @for p in &v.profiles {
                article.profile {
                    h3 { "Profile " (p.profile_id) @if p.retired { " (retired)" } }
                    ul { @for w in &p.terms_words { li { (w) } } }
                }
            }
            @if v.profiles.is_empty() { p { "No published profile." } }
        }
        section aria-labelledby="penalties" {
            h2 id="penalties" { "Penalties paid" }
            div.scroll { table id="penalties-table" {
                thead { tr { th scope="col" { "Epoch" } th scope="col" { "Data unit" }
                    th scope="col" { "Amount" } th scope="col" { "To" } th scope="col" { "Transaction" } } }
                tbody { @for p in &v.penalties {
                    tr {
                        td { (p.epoch) }
                        td { a href={ (base) "/data-units/" (p.data_unit) } { (p.data_unit) } }
                        td data-wei=(p.amount_wei) { (eth(&p.amount_wei)) }
                        td { code.addr { (super::short(&p.consumer)) } }
                        td { (tx(&p.on_chain.tx_hash)) }
                    }
                } }
            } }
            @if v.penalties.is_empty() { p { "No penalty paid." } }
        }
    };
    Ok(super::page(layout(
        base,
        &format!("Provider {}", v.address),
        body,
    )))
}
