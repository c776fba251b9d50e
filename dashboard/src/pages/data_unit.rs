//! A data unit's page: status and why, terms beside what both sides observed, the charts, the
//! slot timeline, every epoch's verdict in words with its on-chain result, the newest reports,
//! and the command that verifies it all.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use maud::html;

use super::provider::reporters;
use super::{at, chart, eth, layout, status_word, tx, PageError};
use crate::data::data_unit::data_unit;
use crate::error::DashboardError;
use crate::{params, words, DashboardState};

/// `GET {base}/data-units/{id}?epochs=N&epoch=E`
pub(crate) async fn page(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let base = state.base();
    let id = params::number("id", &id).map_err(at(&state))?;
    let span = crate::api::span(raw.as_deref()).map_err(at(&state))?;
    let now = sla_runtime::now_ms();
    let v = data_unit(state.source(), id, span, now)
        .await
        .map_err(at(&state))?
        .ok_or_else(|| at(&state)(DashboardError::NotFound("data unit".into())))?;
    let body = html! {
        h1 { "Data unit " (v.data_unit) " " (status_word(v.status)) }
        ul.reasons id="status-reasons" { @for r in &v.reasons { li { (r) } } }
        p.links {
            a href={ "/v1/data-units/" (v.data_unit) } { "JSON" } " · "
            a href={ "/v1/data-units/" (v.data_unit) "/results?format=csv" } { "Export results (CSV)" } " · "
            a href={ "/v1/data-units/" (v.data_unit) "/results" } { "(JSON)" } " · "
            a href={ "/v1/data-units/" (v.data_unit) "/reports" } { "All reports (JSON)" }
        }
        div.columns {
            section aria-labelledby="parties" {
                h2 id="parties" { "Parties" }
                dl.facts {
                    dt { "Provider" } dd { a href={ (base) "/providers/" (v.provider) } { code.addr { (v.provider) } } }
                    dt { "Consumer" } dd { code.addr { (v.consumer) } }
                    dt { "Allocation" } dd { (v.allocation_status)
                        @if v.active_from_ms > 0 { ", active since " (words::utc(v.active_from_ms)) } }
                    dt { "Penalties credited to the consumer" } dd data-field="penalties_total_wei" {
                        (eth(&v.penalties_total_wei)) " in " (v.penalties_count) " epochs" }
                    dt { "Consumer's withdrawable balance" } dd { (eth(&v.consumer_withdrawable_wei)) }
                }
                h3 { "Reporting" }
                (reporters(&v.reporters, now))
            }
            section aria-labelledby="terms" {
                h2 id="terms" { "Terms" }
                ul id="terms-words" { @for w in &v.terms_words { li { (w) } } }
                p.hint { "terms hash " code.hash title=(v.terms_hash) { (super::short(&v.terms_hash)) } }
                @if let Some(p) = &v.policy {
                    h3 { "Penalty policy" }
                    p.hint { "Agreed by both parties; it judges epochs from " (p.from_epoch) " on." }
                    ul id="policy-words" { @for w in &p.words { li { (w) } } }
                    p.hint { "policy hash " code.hash title=(p.policy_hash) { (super::short(&p.policy_hash)) } }
                }
                @if !v.maintenance.is_empty() {
                    h3 { "Maintenance windows" }
                    p.hint { "Announced by the provider ahead of time: records inside a window do not count, so its minutes are neither up nor down." }
                    ul id="maintenance" {
                        @for w in &v.maintenance {
                            li data-state=(w.state) {
                                "#" (w.index) " " (words::utc(w.start_ms)) " to " (words::utc(w.end_ms)) " (" (w.state) ")"
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="observed" {
            h2 id="observed" { "Observed, epochs " (v.first_epoch) " to " (v.last_epoch) }
            p.hint { "Each chart shows the consumer's and the provider's view side by side; the dashed red line is the term's limit, and a ringed point breaks it. "
                a href={ "?epochs=" ((v.last_epoch - v.first_epoch + 1).saturating_mul(4).min(crate::data::data_unit::MAX_EPOCHS)) } { "Show more epochs" } }
            div.charts { @for c in &v.charts { (chart(c, v.first_epoch, v.last_epoch)) } }
        }
        @if let Some(t) = &v.timeline {
            section aria-labelledby="slots" {
                h2 id="slots" { "Uptime slots of epoch " (t.epoch) }
                p.hint { "One cell per minute of the epoch, both views combined: "
                    @for (name, n) in &t.counts { (n) " " (name) " · " }
                    "U up, D down, Q quiet (reported, no operations), S silent (no report), ! disputed (provider up, consumer down)." }
                @if !t.maintenance_slots.is_empty() {
                    p.hint { "Outlined in blue: minutes in an announced maintenance window, whose records do not count once the epoch is judged." }
                }
                ol.slots id="slot-timeline" {
                    @for (i, s) in t.slots.iter().enumerate() {
                        @let maint = t.maintenance_slots.binary_search(&(i as u32)).is_ok();
                        li class={ "slot " (s.as_str()) @if maint { " maintenance" } }
                            title={ "slot " (i) ": " (s.as_str()) @if maint { " (maintenance)" } } data-state=(s.as_str()) {
                            (match s.as_str() { "up" => "U", "down" => "D", "quiet" => "Q", "silent" => "S", _ => "!" })
                        }
                    }
                }
            }
        }
        section aria-labelledby="epochs" {
            h2 id="epochs" { "Epochs" }
            div.scroll { table id="epochs-table" {
                thead { tr { th scope="col" { "Epoch" } th scope="col" { "Roll-up" } th scope="col" { "Reports" }
                    th scope="col" { "Verdict" } th scope="col" { "Penalty" } th scope="col" { "On chain" } th scope="col" { "Reports root" } } }
                tbody { @for e in &v.epochs {
                    tr data-epoch=(e.epoch) class=[(!e.discrepancies.is_empty()).then_some("discrepant")] {
                        td { a href={ "?epoch=" (e.epoch) "#slots" } { (e.epoch) } }
                        td { (e.rollup_status) }
                        td { (e.report_count) }
                        td data-field="verdict" {
                            @match &e.verdict {
                                Some(verdict) => {
                                    strong { @if verdict.violations.is_empty() { "met" } @else { "violated: " (verdict.violations.join(", ")) } }
                                    ul.explanation { @for w in &verdict.explanation { li { (w) } } }
                                },
                                None => "not judged yet",
                            }
                            @if !e.discrepancies.is_empty() {
                                p.discrepancy { strong { "The views disagree: " }
                                    @for d in &e.discrepancies { (d) "; " } }
                            }
                        }
                        td data-field="penalty" {
                            @match e.on_chain.as_ref().and_then(|c| c.penalty_wei.as_ref()) {
                                Some(w) => { (eth(w)) " " (tx(&e.on_chain.as_ref().and_then(|c| c.penalty.as_ref()).and_then(|p| p.tx_hash.clone()))) },
                                None => "—",
                            }
                        }
                        td data-field="on_chain" {
                            @match &e.on_chain {
                                Some(c) => { "applied, block " (c.applied.block_number) " " (tx(&c.applied.tx_hash)) },
                                None => "not yet",
                            }
                        }
                        td { @match &e.reports_root { Some(r) => code.hash title=(r) { (super::short(r)) }, None => "—" } }
                    }
                } }
            } }
        }
        section aria-labelledby="gauges" {
            h2 id="gauges" { "Gauges" @if let Some(e) = v.gauges.epoch { ", epoch " (e) } }
            @let g = &v.gauges;
            @if g.rows.is_empty() {
                p id="gauges-none" { "No gauge reported in the epochs shown (an agent with a [gauges] table reports host and exporter values)." }
            } @else {
                div.scroll { table id="gauges-table" {
                    thead { tr { th scope="col" { "Reported by" } th scope="col" { "Gauge" } th scope="col" { "Last" }
                        th scope="col" { "Mean" } th scope="col" { "Min – max" } th scope="col" { "Samples" } th scope="col" { "Failed" } } }
                    tbody { @for r in &g.rows {
                        tr data-gauge=(r.gauge.name) data-role=(r.role) {
                            td { (r.role) }
                            td { code { (r.gauge.name) } }
                            td data-field="last" { (r.last_words.as_deref().unwrap_or("—")) }
                            td { (r.mean_words.as_deref().unwrap_or("—")) }
                            td { @match (r.gauge.min, r.gauge.max) {
                                (Some(a), Some(b)) => { (words::gauge(r.gauge.unit, a)) " – " (words::gauge(r.gauge.unit, b)) },
                                _ => "—",
                            } }
                            td { (r.gauge.samples) }
                            td { (r.gauge.failed) }
                        }
                    } }
                } }
            }
            dl.facts id="gauges-facts" {
                dt { "Fault rate, epochs shown" }
                dd { "consumer " (g.consumer_fault_rate_bps.map_or("—".into(), |b| words::percent(b.into())))
                     ", provider " (g.provider_fault_rate_bps.map_or("—".into(), |b| words::percent(b.into()))) }
                @if let Some(e) = &g.efficiency {
                    dt { "Provider's efficiency (used / pledged)" }
                    dd data-field="efficiency" { (e.overall_bps.map_or("—".into(), |b| words::percent(b.into()))) }
                }
                dt { "Score by service type, epochs shown" }
                dd id="gauges-scores" { @for (i, s) in g.scores.iter().enumerate() {
                    @if i > 0 { " · " }
                    (s.service.as_str()) " " (s.score_bps.map_or("—".into(), |b| words::percent(b.into())))
                } }
            }
            p.links { a href={ "/v1/data-units/" (v.data_unit) "/metrics" } { "Gauges, scores and every input (JSON)" } }
        }
        section aria-labelledby="alerts" {
            h2 id="alerts" { "Alerts" }
            @let active = v.alerts.iter().filter(|a| a.active).count();
            p id="alerts-active" {
                @if v.alerts.is_empty() { "No alert recorded for this data unit (alerts are raised by sla-alerts when it runs beside this service)." }
                @else if active == 0 { "No alert is active." }
                @else { (active) " active: the conditions and silences below marked active have not ended." }
            }
            @if !v.alerts.is_empty() {
                div.scroll { table id="alerts-table" {
                    thead { tr { th scope="col" { "Raised" } th scope="col" { "Severity" } th scope="col" { "Rule" }
                        th scope="col" { "What" } th scope="col" { "State" } } }
                    tbody { @for a in &v.alerts {
                        tr data-key=(a.alert_key) {
                            td { (words::utc(a.raised_at_ms)) }
                            td { (a.severity) }
                            td { (a.rule) }
                            td { (a.summary) }
                            td { @if a.active { strong { "active" } } @else { (a.status) } }
                        }
                    } }
                } }
            }
        }
        section aria-labelledby="reports" {
            h2 id="reports" { "Newest reports" }
            div.scroll { table id="reports-table" {
                thead { tr { th scope="col" { "Report" } th scope="col" { "Side" } th scope="col" { "Sequence" }
                    th scope="col" { "Period" } th scope="col" { "Records" } th scope="col" { "Errors reported" } th scope="col" { "Links" } } }
                tbody { @for r in &v.reports {
                    tr id={ "report-" (r.hash) } {
                        td { a href={ (base) "/reports/" (r.hash) } { code.hash { (super::short(&r.hash)) } } }
                        td { (r.role.as_str()) }
                        td { (r.sequence) }
                        td { (words::utc(r.period_start_ms)) " for " (words::duration_s((r.period_end_ms - r.period_start_ms) / 1_000)) }
                        td { (r.record_count) @if r.failed > 0 { ", " (r.failed) " failed" } }
                        td.error-details { @for d in &r.error_details { q { (d) } " " } }
                        td { a href=(r.raw_url) { "signed bytes" }
                            @if let Some(p) = &r.proof_url { " · " a href=(p) { "proof" } } }
                    }
                } }
            } }
        }
        section.verify aria-labelledby="verify" {
            h2 id="verify" { "Verify it yourself" }
            p { "Every result above can be re-derived from the signed reports with the auditor, which checks each signature, recomputes every epoch with the same protocol code and compares it with the chain:" }
            pre { code id="audit-command" { (v.audit_command) } }
        }
    };
    Ok(super::page(layout(
        base,
        &format!("Data unit {}", v.data_unit),
        body,
    )))
}
