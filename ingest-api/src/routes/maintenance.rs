//! Maintenance windows, declared and cancelled by their provider through signed requests
//! (`signed.rs`), listed by anyone: the alert rules read them (`maintenance_overlapping`) to
//! hold back what a declared maintenance explains. A window starts now or later (never in the
//! past: it cannot hide what already happened), lasts at most [`MAX_LENGTH_MS`], and is
//! declared at most [`MAX_AHEAD_MS`] ahead; it can be cancelled until it ends.

use alloy_primitives::Address;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sla_storage::subscriptions::{NewMaintenance, StoredMaintenance};

use crate::extract::{ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::routes::subscriptions::signed_body;
use crate::signed::{refuse, refused, verify};
use crate::state::AppState;

/// The domain tag that begins every maintenance request's signed message.
pub const TAG: &str = "SLA-ORACLE/MAINTENANCE-WINDOW/v1";

/// Longest window, ms (7 days).
pub const MAX_LENGTH_MS: u64 = 7 * 86_400_000;

/// Furthest ahead a window may start, ms (90 days).
pub const MAX_AHEAD_MS: u64 = 90 * 86_400_000;

/// How far in the past `from_ms` may be (clocks and transit); such a window starts when it is
/// stored.
pub const START_TOLERANCE_MS: u64 = 60_000;

/// Most windows a provider may have that have not ended.
pub const MAX_OPEN_PER_PROVIDER: u32 = 50;

/// Longest reason, characters.
const MAX_REASON_CHARS: usize = 500;

/// Most windows one listing answers.
const MAX_LISTED: u32 = 200;

/// The fields of a `create` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declare {
    provider: Address,
    #[serde(default)]
    data_unit: Option<u64>,
    from_ms: u64,
    until_ms: u64,
    reason: String,
}

/// The fields of a `cancel` message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    id: i64,
}

fn impossible(field: &str, detail: String) -> ApiError {
    refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        "impossible",
        field,
        detail,
    )
}

/// The rule of a window's times: its start as stored (a start within [`START_TOLERANCE_MS`]
/// in the past becomes `now_ms`, so a window never covers the past), or the field at fault and
/// why.
pub fn window_start(
    from_ms: u64,
    until_ms: u64,
    now_ms: u64,
) -> Result<u64, (&'static str, String)> {
    if from_ms.saturating_add(START_TOLERANCE_MS) < now_ms {
        return Err((
            "message.from_ms",
            format!("from_ms {from_ms} is in the past (now {now_ms})"),
        ));
    }
    if from_ms > now_ms.saturating_add(MAX_AHEAD_MS) {
        return Err((
            "message.from_ms",
            "a window may start at most 90 days ahead".into(),
        ));
    }
    let from_ms = from_ms.max(now_ms);
    if until_ms <= from_ms {
        return Err((
            "message.until_ms",
            "until_ms must be after from_ms (and after now)".into(),
        ));
    }
    if until_ms - from_ms > MAX_LENGTH_MS {
        return Err(("message.until_ms", "a window lasts at most 7 days".into()));
    }
    Ok(from_ms)
}

/// A maintenance window as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaintenanceView {
    id: i64,
    /// The provider, `0x` and 40 hex digits.
    #[schema(pattern = "^0x[0-9a-f]{40}$")]
    provider: String,
    /// The data unit; `null`: every data unit of the provider.
    data_unit: Option<u64>,
    from_ms: u64,
    until_ms: u64,
    reason: String,
    created_at_ms: u64,
    /// When it was cancelled; `null` if it was not.
    cancelled_at_ms: Option<u64>,
}

impl From<&StoredMaintenance> for MaintenanceView {
    fn from(m: &StoredMaintenance) -> Self {
        MaintenanceView {
            id: m.id,
            provider: format!("{:#x}", m.window.provider),
            data_unit: m.window.data_unit,
            from_ms: m.window.from_ms,
            until_ms: m.window.until_ms,
            reason: m.window.reason.clone(),
            created_at_ms: m.created_at_ms,
            cancelled_at_ms: m.cancelled_at_ms,
        }
    }
}

/// A provider's maintenance windows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MaintenanceList {
    maintenance_windows: Vec<MaintenanceView>,
}

/// The answer to a cancellation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cancelled {
    id: i64,
    cancelled_at_ms: u64,
}

/// Declares a maintenance window: by the provider only; 201 with the window as stored.
#[utoipa::path(post, path = "/v1/maintenance-windows", tag = "maintenance",
    request_body(content = crate::signed::SignedRequestBody, content_type = "application/json",
        description = "Signed by the provider, domain tag `SLA-ORACLE/MAINTENANCE-WINDOW/v1`, action \
            `create`, fields `provider`, `data_unit`, `from_ms`, `until_ms`, `reason`"),
    responses((status = 201, body = MaintenanceView)))]
pub async fn declare(
    State(state): State<AppState>,
    body: Body,
) -> Result<(StatusCode, Json<MaintenanceView>), ApiError> {
    let bytes = signed_body(body, &state).await?;
    let signed = verify::<Declare>(&state, &bytes, TAG, "create").await?;
    let d = signed.fields;
    let now = signed.request.now_ms;
    if d.provider != signed.owner {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "not-owner",
            "message.provider",
            format!(
                "only the provider declares its maintenance; {:#x} is not {:#x}",
                signed.owner, d.provider
            ),
        ));
    }
    if let Some(unit) = d.data_unit {
        let allocation = state.db.mirror().current_allocation(unit).await?;
        match allocation {
            None => {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "data-unit-unknown",
                    "message.data_unit",
                    format!("data unit {unit} is not a known allocation"),
                ))
            }
            Some(a) if a.provider != signed.owner => {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "not-owner",
                    "message.data_unit",
                    format!(
                        "{:#x} is not the provider of data unit {unit}",
                        signed.owner
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let from_ms = window_start(d.from_ms, d.until_ms, now)
        .map_err(|(field, detail)| impossible(field, detail))?;
    let reason = d.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(char::is_control)
    {
        return Err(ApiError::Malformed {
            field: "message.reason".into(),
            detail: "`message.reason` must be 1 to 500 characters, without control characters"
                .into(),
        });
    }
    let window = NewMaintenance {
        owner: signed.owner,
        provider: d.provider,
        data_unit: d.data_unit,
        from_ms,
        until_ms: d.until_ms,
        reason: reason.to_owned(),
    };
    let id = state
        .db
        .subscriptions()
        .declare_maintenance(&signed.request, &window, MAX_OPEN_PER_PROVIDER)
        .await?
        .map_err(|r| refused(r, "message.id"))?;
    tracing::info!(id, provider = %window.provider, "maintenance window declared");
    let stored = StoredMaintenance {
        id,
        window,
        created_at_ms: now,
        cancelled_at_ms: None,
    };
    Ok((StatusCode::CREATED, Json(MaintenanceView::from(&stored))))
}

/// Cancels a maintenance window: by its provider, before it ends.
#[utoipa::path(delete, path = "/v1/maintenance-windows/{id}", tag = "maintenance",
    params(("id" = i64, Path, description = "The window")),
    request_body(content = crate::signed::SignedRequestBody, content_type = "application/json",
        description = "Signed by the provider, action `cancel`, field `id` (the path's)"),
    responses((status = 200, body = Cancelled)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<Cancelled>, ApiError> {
    let bytes = signed_body(body, &state).await?;
    let signed = verify::<Cancel>(&state, &bytes, TAG, "cancel").await?;
    if signed.fields.id != id {
        return Err(ApiError::Malformed {
            field: "message.id".into(),
            detail: "`message.id` must be the id in the path".into(),
        });
    }
    state
        .db
        .subscriptions()
        .cancel_maintenance(&signed.request, id)
        .await?
        .map_err(|r| refused(r, "id"))?;
    tracing::info!(id, provider = %signed.owner, "maintenance window cancelled");
    Ok(Json(Cancelled {
        id,
        cancelled_at_ms: signed.request.now_ms,
    }))
}

/// The query of [`list`].
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProviderQuery {
    /// The provider whose windows to list, `0x` and 40 hex digits.
    #[param(value_type = String, pattern = "^0x[0-9a-fA-F]{40}$")]
    pub provider: Address,
}

/// A provider's newest 200 maintenance windows, cancelled ones too.
#[utoipa::path(get, path = "/v1/maintenance-windows", tag = "maintenance", params(ProviderQuery),
    responses((status = 200, body = MaintenanceList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProviderQuery>,
) -> Result<Json<MaintenanceList>, ApiError> {
    let windows = state
        .db
        .subscriptions()
        .maintenance_of(&q.provider, MAX_LISTED)
        .await?;
    Ok(Json(MaintenanceList {
        maintenance_windows: windows.iter().map(MaintenanceView::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;
    const DAY: u64 = 86_400_000;

    #[test]
    fn a_window_starts_now_or_later_and_lasts_at_most_seven_days() {
        assert_eq!(window_start(NOW + 10, NOW + DAY, NOW), Ok(NOW + 10));
        // Within the tolerance: moved to now, never into the past.
        assert_eq!(window_start(NOW - 30_000, NOW + DAY, NOW), Ok(NOW));
        let field = |r: Result<u64, (&'static str, String)>| r.unwrap_err().0;
        assert_eq!(
            field(window_start(NOW - 61_000, NOW + DAY, NOW)),
            "message.from_ms"
        );
        assert_eq!(
            field(window_start(NOW + 91 * DAY, NOW + 92 * DAY, NOW)),
            "message.from_ms"
        );
        assert_eq!(
            field(window_start(NOW + DAY, NOW + DAY, NOW)),
            "message.until_ms"
        );
        // Ending within the tolerance before now: after the move to now it would be empty.
        assert_eq!(
            field(window_start(NOW - 30_000, NOW - 1, NOW)),
            "message.until_ms"
        );
        assert_eq!(window_start(NOW, NOW + 7 * DAY, NOW), Ok(NOW));
        assert_eq!(
            field(window_start(NOW, NOW + 7 * DAY + 1, NOW)),
            "message.until_ms"
        );
        // No overflow at the edges of u64.
        assert_eq!(
            field(window_start(u64::MAX, u64::MAX, NOW)),
            "message.from_ms"
        );
        assert_eq!(field(window_start(NOW, u64::MAX, NOW)), "message.until_ms");
    }
}
