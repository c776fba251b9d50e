//! The dashboard's JSON routes in the API's OpenAPI document (the ingest API merges it into its
//! own, served at `/openapi.json`).

use utoipa::OpenApi;

/// The JSON routes of [`crate::api_router`].
#[derive(Debug, OpenApi)]
#[openapi(paths(
    crate::api::overview,
    crate::api::provider,
    crate::api::provider_results,
    crate::api::provider_compliance,
    crate::api::data_unit,
    crate::api::data_unit_results,
    crate::api::data_unit_forecast,
    crate::api::data_unit_metrics,
    crate::api::data_unit_compliance,
))]
pub struct DashboardApi;
