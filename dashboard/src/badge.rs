//! The SVG badge of a provider (`/badge/providers/{address}.svg`): its compliance over the last
//! 30 days of epochs, for a README or a website. Green from 99 %, amber from 95 %, red below,
//! grey without results; the words say the same as the colour.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::data::{compliance_epochs, current_epoch, ComplianceShare};
use crate::error::DashboardError;
use crate::{params, words, DashboardState};

/// `GET {base}/badge/providers/{address}.svg`
pub async fn route(
    State(state): State<DashboardState>,
    Path(file): Path<String>,
) -> Result<Response, DashboardError> {
    let address = file
        .strip_suffix(".svg")
        .ok_or_else(|| DashboardError::NotFound("badge (ask for {address}.svg)".into()))?;
    let address = params::address(address)?;
    let source = state.source();
    let mirror = source.db.mirror();
    if mirror.provider(&address).await?.is_none() {
        return Err(DashboardError::NotFound("provider".into()));
    }
    let epochs = source.epochs().await?;
    let current = current_epoch(&epochs, sla_runtime::now_ms());
    let since = current.saturating_sub(compliance_epochs(&epochs) - 1);
    let c = mirror.compliance_of(&address, since).await?;
    let svg = svg(&ComplianceShare::new(c.results, c.compliant));
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        svg,
    )
        .into_response())
}

/// The badge for a compliance share.
pub fn svg(share: &ComplianceShare) -> String {
    let label = "SLA 30 days";
    let (value, colour) = match share.share_bps {
        None => ("no data".to_owned(), "#6b7280"),
        Some(bps) => {
            let colour = match bps {
                9_900.. => "#15803d",
                9_500.. => "#b45309",
                _ => "#b91c1c",
            };
            (format!("{} compliant", words::percent(bps)), colour)
        }
    };
    // Widths from a 7 px average glyph at 11 px Verdana, as shields.io badges do.
    let (lw, vw) = (
        label.chars().count() * 7 + 12,
        value.chars().count() * 7 + 12,
    );
    let w = lw + vw;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><rect width="{lw}" height="20" fill="#374151"/><rect x="{lw}" width="{vw}" height="20" fill="{colour}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="{lx}" y="14">{label}</text><text x="{vx}" y="14">{value}</text></g></svg>"##,
        lx = lw / 2,
        vx = lw + vw / 2,
    )
}
