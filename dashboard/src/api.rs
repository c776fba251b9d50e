//! The JSON the pages are built from, on the public read API: `GET /v1/overview`,
//! `/v1/providers/{address}`, `/v1/data-units/{id}`, and the exports
//! `/v1/providers/{address}/results` and `/v1/data-units/{id}/results` (`format=json|csv`),
//! `/v1/data-units/{id}/forecast` (time to breach of every enforced term),
//! `/v1/data-units/{id}/metrics` (gauges, fault rate, efficiency, scores), and the compliance
//! reports `/v1/providers/{address}/compliance` and `/v1/data-units/{id}/compliance` (`from`,
//! `to` in Unix ms, `format=json|csv|html`).
//! Field by field in `docs/dashboard.md`.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::data::compliance;
use crate::data::data_unit::{self, Span};
use crate::data::export::{self, MAX_EXPORT_CELLS, MAX_EXPORT_EPOCHS};
use crate::data::metrics::{self, MetricsQuery};
use crate::data::{current_epoch, provider};
use crate::error::DashboardError;
use crate::params;
use crate::DashboardState;
use sla_protocol::aggregate::{ServiceType, Thresholds};

/// Every provider and data unit at a glance, and the chain's and the oracle's clocks.
#[utoipa::path(get, path = "/v1/overview", tag = "dashboard",
    responses((status = 200, body = crate::data::overview::Overview)))]
pub async fn overview(State(state): State<DashboardState>) -> Result<Response, DashboardError> {
    Ok(Json(&*state.overview().await?).into_response())
}

/// A provider: bond, reputation, data units, compliance.
#[utoipa::path(get, path = "/v1/providers/{address}", tag = "dashboard", params(("address" = String, Path, description = "The provider's account, `0x` and 40 hex digits")),
    responses((status = 200, body = crate::data::provider::ProviderView)))]
pub async fn provider(
    State(state): State<DashboardState>,
    Path(address): Path<String>,
) -> Result<Response, DashboardError> {
    let address = params::address(&address)?;
    let view = provider::provider(state.source(), &address, sla_runtime::now_ms())
        .await?
        .ok_or_else(|| DashboardError::NotFound("provider".into()))?;
    Ok(Json(view).into_response())
}

/// The span of a data unit page from its query (`epochs`, `epoch`).
pub(crate) fn span(raw: Option<&str>) -> Result<Span, DashboardError> {
    let q = params::query(raw, &["epochs", "epoch"])?;
    let epochs = params::opt_number(&q, "epochs")?;
    if let Some(n) = epochs {
        if n == 0 || n > data_unit::MAX_EPOCHS {
            return Err(DashboardError::Malformed {
                field: "epochs",
                detail: format!("`epochs` must be between 1 and {}", data_unit::MAX_EPOCHS),
            });
        }
    }
    Ok(Span {
        epochs,
        timeline_epoch: params::opt_number(&q, "epoch")?,
    })
}

/// A data unit: terms, reporters, per-epoch results, charts, the timeline of one epoch.
#[utoipa::path(get, path = "/v1/data-units/{id}", tag = "dashboard",
    params(("id" = u64, Path, description = "The data unit"),
        ("epochs" = Option<u64>, Query, minimum = 1, maximum = 2000, description = "Epochs shown, newest last (default 48)"),
        ("epoch" = Option<u64>, Query, description = "The epoch whose slot timeline is shown (default: the newest)")),
    responses((status = 200, body = crate::data::data_unit::DataUnitView)))]
pub async fn data_unit(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let id = params::number("id", &id)?;
    let span = span(raw.as_deref())?;
    let view = data_unit::data_unit(state.source(), id, span, sla_runtime::now_ms())
        .await?
        .ok_or_else(|| DashboardError::NotFound("data unit".into()))?;
    Ok(Json(view).into_response())
}

/// Gauges, fault rate, efficiency and scores per epoch and over the epochs asked for.
#[utoipa::path(get, path = "/v1/data-units/{id}/metrics", tag = "dashboard",
    params(("id" = u64, Path, description = "The data unit"),
        ("epoch" = Option<u64>, Query, description = "The last epoch (default: the current one)"),
        ("epochs" = Option<u64>, Query, minimum = 1, maximum = 720, description = "Epochs in the window (default 24)"),
        ("service" = Option<String>, Query, description = "Only this service type's score: storage, compute, rpc or cdn"),
        ("gauge" = Option<String>, Query, pattern = "^[a-z0-9_.:-]{1,64}$", description = "Count this gauge's slots beyond `above`/`below`"),
        ("above" = Option<i64>, Query, description = "Threshold: slots whose greatest sample is above it"),
        ("below" = Option<i64>, Query, description = "Threshold: slots whose least sample is below it")),
    responses((status = 200, body = crate::data::metrics::DataUnitMetrics)))]
pub async fn data_unit_metrics(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let id = params::number("id", &id)?;
    let q = params::query(
        raw.as_deref(),
        &["epoch", "epochs", "service", "gauge", "above", "below"],
    )?;
    let service = match q.get("service") {
        None => None,
        Some(s) => Some(
            ServiceType::parse(s).ok_or_else(|| DashboardError::Malformed {
                field: "service",
                detail: format!("unknown service {s:?}; known: storage, compute, rpc, cdn"),
            })?,
        ),
    };
    if let Some(name) = q.get("gauge") {
        sla_protocol::record::validate_custom_name(name.as_bytes()).map_err(|_| {
            DashboardError::Malformed {
                field: "gauge",
                detail: "`gauge` must be 1 to 64 bytes of a-z, 0-9, '_', '.', ':' or '-'".into(),
            }
        })?;
    }
    let query = MetricsQuery {
        epoch: params::opt_number(&q, "epoch")?,
        epochs: params::opt_number(&q, "epochs")?,
        service,
        gauge: q.get("gauge").cloned(),
        thresholds: Thresholds {
            above: params::opt_signed(&q, "above")?,
            below: params::opt_signed(&q, "below")?,
        },
    };
    let view = metrics::metrics(state.source(), id, &query, sla_runtime::now_ms())
        .await?
        .ok_or_else(|| DashboardError::NotFound("data unit".into()))?;
    Ok(Json(view).into_response())
}

/// When each enforced term breaks at the current rate (time to breach).
#[utoipa::path(get, path = "/v1/data-units/{id}/forecast", tag = "dashboard", params(("id" = u64, Path, description = "The data unit")),
    responses((status = 200, body = crate::data::forecast::DataUnitForecast)))]
pub async fn data_unit_forecast(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
) -> Result<Response, DashboardError> {
    let id = params::number("id", &id)?;
    let view = crate::data::forecast::forecast(state.source(), id, sla_runtime::now_ms())
        .await?
        .ok_or_else(|| DashboardError::NotFound("data unit".into()))?;
    Ok(Json(view).into_response())
}

/// A data unit's results per epoch, as JSON or CSV.
#[utoipa::path(get, path = "/v1/data-units/{id}/results", tag = "exports",
    params(("id" = u64, Path, description = "The data unit"), ExportQuery),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
        content((ResultsExport = "application/json"), (String = "text/csv; charset=utf-8")))))]
pub async fn data_unit_results(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let id = params::number("id", &id)?;
    if state
        .source()
        .db
        .mirror()
        .current_allocation(id)
        .await?
        .is_none()
    {
        return Err(DashboardError::NotFound("data unit".into()));
    }
    export_response(&state, &[id], &format!("data-unit-{id}"), raw.as_deref()).await
}

/// The results per epoch of every data unit of a provider, as JSON or CSV.
#[utoipa::path(get, path = "/v1/providers/{address}/results", tag = "exports",
    params(("address" = String, Path, description = "The provider's account, `0x` and 40 hex digits"), ExportQuery),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
        content((ResultsExport = "application/json"), (String = "text/csv; charset=utf-8")))))]
pub async fn provider_results(
    State(state): State<DashboardState>,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let address = params::address(&address)?;
    let mirror = state.source().db.mirror();
    if mirror.provider(&address).await?.is_none() {
        return Err(DashboardError::NotFound("provider".into()));
    }
    let units: Vec<u64> = mirror
        .allocations_of(&address)
        .await?
        .iter()
        .map(|a| a.data_unit)
        .collect();
    let name = format!("provider-{}", crate::data::address(&address));
    export_response(&state, &units, &name, raw.as_deref()).await
}

/// The query of the results exports (documentation only: the handlers read the raw query, so that
/// an unknown parameter is named in the refusal).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportQuery {
    /// First epoch (default: 30 days of epochs before `to_epoch`, fewer for large exports).
    from_epoch: Option<u64>,
    /// Last epoch (default: the current one).
    to_epoch: Option<u64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The query of the compliance reports (documentation only, as [`ExportQuery`]).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ComplianceQuery {
    /// Start of the period, Unix ms (default: 7 days before `to`).
    from: Option<u64>,
    /// End of the period, Unix ms, exclusive (default: now).
    to: Option<u64>,
    /// `json` (default), `csv` or `html`.
    #[param(pattern = "^(json|csv|html)$")]
    format: Option<String>,
}

/// The JSON of a results export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultsExport {
    from_epoch: u64,
    to_epoch: u64,
    results: Vec<export::ResultRow>,
}

async fn export_response(
    state: &DashboardState,
    units: &[u64],
    name: &str,
    raw: Option<&str>,
) -> Result<Response, DashboardError> {
    let q = params::query(raw, &["from_epoch", "to_epoch", "format"])?;
    let epochs = state.source().epochs().await?;
    let to = params::opt_number(&q, "to_epoch")?
        .unwrap_or_else(|| current_epoch(&epochs, sla_runtime::now_ms()));
    // Default: the last 30 days of epochs, or fewer so that the export stays within its bounds.
    let most = (MAX_EXPORT_CELLS / (units.len() as u64).max(1)).max(1);
    let span = crate::data::compliance_epochs(&epochs)
        .min(MAX_EXPORT_EPOCHS)
        .min(most);
    let from = params::opt_number(&q, "from_epoch")?.unwrap_or_else(|| to.saturating_sub(span - 1));
    let rows = export::results(state.source(), units, from, to).await?;
    match q.get("format").map(String::as_str) {
        None | Some("json") => Ok(Json(ResultsExport {
            from_epoch: from,
            to_epoch: to,
            results: rows,
        })
        .into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}-{from}-{to}.csv\""),
                ),
            ],
            export::csv(&rows),
        )
            .into_response()),
        Some(other) => Err(DashboardError::Malformed {
            field: "format",
            detail: format!("`format` must be json or csv, got {other:?}"),
        }),
    }
}

/// The compliance report of one data unit over a period.
#[utoipa::path(get, path = "/v1/data-units/{id}/compliance", tag = "exports",
    params(("id" = u64, Path, description = "The data unit"), ComplianceQuery),
    responses((status = 200, description = "JSON, CSV or a printable HTML page",
        content((crate::data::compliance::ComplianceReport = "application/json"),
                (String = "text/csv; charset=utf-8"), (String = "text/html; charset=utf-8")))))]
pub async fn data_unit_compliance(
    State(state): State<DashboardState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let id = params::number("id", &id)?;
    let allocation = state
        .source()
        .db
        .mirror()
        .current_allocation(id)
        .await?
        .ok_or_else(|| DashboardError::NotFound("data unit".into()))?;
    let title = format!("Compliance of data unit {id}");
    compliance_response(
        &state,
        &[allocation],
        &title,
        &format!("data-unit-{id}"),
        raw,
    )
    .await
}

/// The compliance report of every data unit of a provider over a period.
#[utoipa::path(get, path = "/v1/providers/{address}/compliance", tag = "exports",
    params(("address" = String, Path, description = "The provider's account, `0x` and 40 hex digits"), ComplianceQuery),
    responses((status = 200, description = "JSON, CSV or a printable HTML page",
        content((crate::data::compliance::ComplianceReport = "application/json"),
                (String = "text/csv; charset=utf-8"), (String = "text/html; charset=utf-8")))))]
pub async fn provider_compliance(
    State(state): State<DashboardState>,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, DashboardError> {
    let address = params::address(&address)?;
    let mirror = state.source().db.mirror();
    if mirror.provider(&address).await?.is_none() {
        return Err(DashboardError::NotFound("provider".into()));
    }
    let allocations = mirror.allocations_of(&address).await?;
    let shown = crate::data::address(&address);
    let title = format!("Compliance of provider {shown}");
    compliance_response(
        &state,
        &allocations,
        &title,
        &format!("provider-{shown}"),
        raw,
    )
    .await
}

async fn compliance_response(
    state: &DashboardState,
    allocations: &[sla_protocol::parties::Allocation],
    title: &str,
    name: &str,
    raw: Option<String>,
) -> Result<Response, DashboardError> {
    let q = params::query(raw.as_deref(), &["from", "to", "format"])?;
    // Checked before anything is read, so a bad request costs nothing.
    let format = q.get("format").map_or("json", String::as_str);
    if !matches!(format, "json" | "csv" | "html") {
        return Err(DashboardError::Malformed {
            field: "format",
            detail: format!("`format` must be json, csv or html, got {format:?}"),
        });
    }
    // Default: the seven days up to now.
    let to = params::opt_number(&q, "to")?.unwrap_or_else(sla_runtime::now_ms);
    let from = params::opt_number(&q, "from")?.unwrap_or(to.saturating_sub(7 * 86_400_000));
    let report = compliance::report(state.source(), allocations, from, to).await?;
    Ok(match format {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}-compliance-{from}-{to}.csv\""),
                ),
            ],
            compliance::csv(&report),
        )
            .into_response(),
        "html" => {
            axum::response::Html(compliance::html(title, &report).into_string()).into_response()
        }
        _ => Json(report).into_response(),
    })
}
