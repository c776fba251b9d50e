//! The dashboard's own stylesheet and script, compiled into the binary (nothing is fetched from
//! anywhere at run time).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::DashboardError;

const STYLE: &str = include_str!("../assets/style.css");
const LIVE: &str = include_str!("../assets/live.js");
const ICON: &str = include_str!("../assets/favicon.svg");

/// `GET {base}/assets/{file}`
pub(crate) async fn serve(Path(file): Path<String>) -> Result<Response, DashboardError> {
    let (body, kind) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "live.js" => (LIVE, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return Err(DashboardError::NotFound(format!("asset {file:?}"))),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response())
}
