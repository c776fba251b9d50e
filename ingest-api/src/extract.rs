//! Path and query extractors whose refusals are problem+json naming the parameter, like every
//! other error of the API (axum's own answer `400 text/plain`).

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// A path's parameters, or `400 malformed` naming the parameter that did not parse.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_error(parts, rejection)),
        }
    }
}

/// The `n`-th `{name}` of the matched route, e.g. `id` of `/v1/data-units/{id}/reports`.
fn parameter_name(parts: &Parts, n: usize) -> Option<String> {
    let route = parts.extensions.get::<MatchedPath>()?.as_str();
    route
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .nth(n)
        .map(str::to_owned)
}

/// What a Rust type accepts, in words.
fn expected(type_name: &str) -> String {
    match type_name {
        "u64" => format!("a whole number from 0 to {}", u64::MAX),
        "u32" => format!("a whole number from 0 to {}", u32::MAX),
        "i64" => format!("a whole number from {} to {}", i64::MIN, i64::MAX),
        other => format!("a value of type {other}"),
    }
}

fn path_error(parts: &Parts, rejection: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
        return ApiError::Malformed {
            field: "path".into(),
            detail: rejection.body_text(),
        };
    };
    let (field, value, expected_type) = match failed.kind() {
        ErrorKind::ParseErrorAtIndex {
            index,
            value,
            expected_type,
        } => (parameter_name(parts, *index), value, *expected_type),
        ErrorKind::ParseErrorAtKey {
            key,
            value,
            expected_type,
        } => (Some(key.clone()), value, *expected_type),
        ErrorKind::ParseError {
            value,
            expected_type,
        } => (parameter_name(parts, 0), value, *expected_type),
        _ => {
            return ApiError::Malformed {
                field: "path".into(),
                detail: failed.body_text(),
            }
        }
    };
    let field = field.unwrap_or_else(|| "path".into());
    ApiError::Malformed {
        detail: format!(
            "`{field}` must be {}, got {value:?}",
            expected(expected_type)
        ),
        field,
    }
}

/// A query string's parameters, or `400 malformed` naming the parameter that did not parse (or
/// the one that is not known).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = form_urlencoded::parse(query.as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let field = if path == "." || path.is_empty() {
                    "query".to_owned()
                } else {
                    path
                };
                ApiError::Malformed {
                    detail: format!("query parameter `{field}`: {}", err.inner()),
                    field,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_types_are_said_in_words_with_their_range() {
        assert_eq!(
            expected("u64"),
            "a whole number from 0 to 18446744073709551615"
        );
        assert!(expected("u32").ends_with("4294967295"));
    }
}
