//! The public status page of a provider: one URL an operator hands to delegators or customers,
//! with its state in one word, its compliance, and each data unit's standing.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;

use super::{eth, layout, status_word, PageError};
use crate::data::status::SlaStatus;
use crate::{words, DashboardState};

/// `GET {base}/status/{address}`
pub(crate) async fn page(
    State(state): State<DashboardState>,
    Path(address): Path<String>,
) -> Result<Response, PageError> {
    let base = state.base();
    let (v, _) = super::provider::load(&state, &address).await?;
    // The worst standing of its active data units.
    let overall = [
        SlaStatus::Violating,
        SlaStatus::AtRisk,
        SlaStatus::Compliant,
        SlaStatus::NoData,
    ]
    .into_iter()
    .find(|s| v.data_units.iter().any(|u| u.status == *s))
    .unwrap_or(SlaStatus::NoData);
    let badge = format!("{base}/badge/providers/{}.svg", v.address);
    let body = html! {
        h1 { "Status of provider " code.addr { (super::short(&v.address)) } }
        p.big { "Now: " (status_word(overall)) }
        dl.facts {
            dt { "Compliance, 30 days" } dd data-field="compliance" {
                @match v.compliance.share_bps {
                    Some(bps) => { (words::percent(bps)) " of " (v.compliance.results) " epoch results met every term" },
                    None => "no results yet",
                } }
            dt { "Reputation" } dd { (v.reputation) " of 10000" }
            dt { "Bonded stake" } dd { (eth(&v.bonded_wei)) }
            dt { "Penalties paid, ever" } dd { (eth(&v.penalties_paid_wei)) }
        }
        h2 { "Data units" }
        ul.units { @for u in &v.data_units {
            li { "Data unit " (u.data_unit) ": " (status_word(u.status))
                @if let Some((e, bps)) = u.last_judged { ", uptime " (words::percent(bps.into())) " at epoch " (e) } }
        } }
        h2 { "Badge" }
        p { img src=(badge) alt="SLA compliance badge of this provider"; }
        p { "Markdown: " code.full { "![SLA](" (badge) ")" } }
        p.hint { "Full details: " a href={ (base) "/providers/" (v.address) } { "provider page" }
            ". Every figure here is re-derivable from public data with " code { "sla audit" } "." }
    };
    Ok(super::page(layout(base, "Provider status", body)))
}
