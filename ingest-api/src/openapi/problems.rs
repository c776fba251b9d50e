//! Which problem+json rules each operation can answer, by status: added to the document as one
//! response per status whose description names the rules. The tests below check that every rule
//! the code can produce is listed somewhere, and that every listed rule exists.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// Rules answered with `status`.
type Refusals = &'static [(u16, &'static [&'static str])];

/// Refusals of the verification of a report's bytes and signature (docs/report-format.md §5).
pub const VERIFY_RULES: &[&str] = &[
    "domain-tag",
    "unknown-version",
    "truncated",
    "trailing-bytes",
    "invalid-field",
    "signature-length",
    "invalid-key",
    "weak-key",
    "bad-signature",
    "wrong-chain",
    "wrong-contract",
];

const POST_REPORT: Refusals = &[
    (
        400,
        &[
            "malformed",
            "domain-tag",
            "unknown-version",
            "truncated",
            "trailing-bytes",
            "invalid-field",
            "signature-length",
            "invalid-key",
            "weak-key",
            "bad-signature",
            "wrong-chain",
            "wrong-contract",
        ],
    ),
    (
        403,
        &[
            "key-not-registered",
            "key-not-valid-for-period",
            "key-not-of-party",
        ],
    ),
    (408, &["timeout", "body-too-slow"]),
    (409, &["sequence-gap", "prev-hash-mismatch", "equivocation"]),
    (413, &["body-too-large", "too-many-items"]),
    (415, &["unsupported-media-type"]),
    (
        422,
        &[
            "data-unit-unknown",
            "data-unit-not-active",
            "period-in-future",
            "period-overlaps-previous",
            "unstorable",
        ],
    ),
    (503, &["overloaded", "storage-unavailable"]),
];

const POST_BATCH: Refusals = &[
    (400, &["malformed"]),
    (408, &["timeout", "body-too-slow"]),
    (413, &["body-too-large", "too-many-items"]),
    (415, &["unsupported-media-type"]),
    (503, &["overloaded", "storage-unavailable"]),
];

/// A read of one thing (a report, a reporter, a proof, a window), which may not exist.
const READ_ONE: Refusals = &[
    (400, &["malformed"]),
    (404, &["not-found"]),
    (408, &["timeout"]),
    (503, &["overloaded", "storage-unavailable"]),
];

/// A read of a list, empty when there is nothing.
const READ_LIST: Refusals = &[
    (400, &["malformed"]),
    (408, &["timeout"]),
    (503, &["overloaded", "storage-unavailable"]),
];

const LIST_SIGNED: Refusals = &[
    (400, &["malformed"]),
    (408, &["timeout"]),
    (503, &["overloaded", "storage-unavailable"]),
];

const SIGNED: Refusals = &[
    (400, &["malformed"]),
    (
        401,
        &[
            "unsigned",
            "bad-signature",
            "stale-request",
            "key-not-registered",
            "key-not-valid",
        ],
    ),
    (403, &["not-owner"]),
    (408, &["timeout", "body-too-slow"]),
    (409, &["nonce-reused"]),
    (413, &["body-too-large"]),
    (
        422,
        &[
            "wrong-deployment",
            "data-unit-unknown",
            "impossible",
            "limit-reached",
            "subscriptions-full",
            "already-ended",
        ],
    ),
    (503, &["overloaded", "storage-unavailable"]),
];

const SIGNED_DELETE: Refusals = &[
    (400, &["malformed"]),
    (
        401,
        &[
            "unsigned",
            "bad-signature",
            "stale-request",
            "key-not-registered",
            "key-not-valid",
        ],
    ),
    (403, &["not-owner"]),
    (404, &["not-found"]),
    (408, &["timeout", "body-too-slow"]),
    (409, &["nonce-reused"]),
    (413, &["body-too-large"]),
    (422, &["wrong-deployment", "already-ended"]),
    (503, &["overloaded", "storage-unavailable"]),
];

/// The overview: no parameter, nothing to find.
const OVERVIEW: Refusals = &[
    (408, &["timeout"]),
    (500, &["internal"]),
    (503, &["overloaded", "unavailable", "not-indexed-yet"]),
];

/// The dashboard's views (`sla_dashboard::error::DashboardError`).
const VIEW: Refusals = &[
    (400, &["malformed"]),
    (404, &["not-found"]),
    (408, &["timeout"]),
    (500, &["internal"]),
    (503, &["overloaded", "unavailable", "not-indexed-yet"]),
];

const READY: Refusals = &[(503, &["overloaded", "storage-unavailable"])];

const NONE: Refusals = &[(503, &["overloaded"])];

/// The refusals of the operation `method path`; `None` for an operation this table misses (a
/// test fails on it).
pub fn refusals(method: &str, path: &str) -> Option<Refusals> {
    Some(match (method, path) {
        ("post", "/v1/reports") => POST_REPORT,
        ("post", "/v1/reports/batch") => POST_BATCH,
        ("get", "/v1/alert-subscriptions" | "/v1/maintenance-windows") => LIST_SIGNED,
        ("post", "/v1/alert-subscriptions" | "/v1/maintenance-windows") => SIGNED,
        ("delete", "/v1/alert-subscriptions/{id}" | "/v1/maintenance-windows/{id}") => {
            SIGNED_DELETE
        }
        ("get", "/healthz" | "/metrics") => NONE,
        ("get", "/readyz") => READY,
        ("get", "/v1/reports/{hash}")
        | ("get", "/v1/reporters/{key}/data-units/{id}")
        | ("get", "/v1/data-units/{id}/window")
        | ("get", "/v1/data-units/{id}/epochs/{epoch}/proofs/{hash}") => READ_ONE,
        ("get", p)
            if p.ends_with("/equivocations")
                || p.ends_with("/reports")
                || p.ends_with("/rollups")
                || p.ends_with("/uncounted") =>
        {
            READ_LIST
        }
        ("get", "/v1/overview") => OVERVIEW,
        ("get", p) if p.starts_with("/v1/") => VIEW,
        _ => return None,
    })
}

/// Adds a problem+json response per refusal status to every operation of `doc`.
pub fn add_refusals(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                let table = refusals(method, path).unwrap_or_default();
                add(operation, table);
            }
        }
    }
}

fn add(operation: &mut Operation, table: Refusals) {
    for (status, rules) in table {
        let names: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
        let response = ResponseBuilder::new()
            .description(format!("Refused: {}", names.join(", ")))
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert(status.to_string(), RefOr::T(response));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::StatusCode;
    use sla_protocol::acceptance::Rejection;
    use sla_protocol::{DecodeError, VerifyError};

    use super::*;
    use crate::problem::{ApiError, Shed};

    fn listed() -> BTreeSet<(u16, &'static str)> {
        [
            POST_REPORT,
            POST_BATCH,
            READ_ONE,
            READ_LIST,
            LIST_SIGNED,
            SIGNED,
            SIGNED_DELETE,
            OVERVIEW,
            VIEW,
            READY,
            NONE,
        ]
        .iter()
        .flat_map(|t| t.iter())
        .flat_map(|(s, rules)| rules.iter().map(move |r| (*s, *r)))
        .collect()
    }

    #[test]
    fn every_operation_of_the_document_has_its_refusals() {
        let doc = super::super::document();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [
                ("get", &item.get),
                ("post", &item.post),
                ("delete", &item.delete),
            ] {
                if op.is_some() {
                    assert!(
                        refusals(method, path).is_some(),
                        "{method} {path} has no refusals"
                    );
                }
            }
        }
    }

    #[test]
    fn every_rule_the_api_answers_is_listed_with_its_status() {
        let listed = listed();
        let mut errors = vec![
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::TooMany {
                what: "reports",
                got: 2,
                limit: 1,
            },
            ApiError::UnsupportedMediaType,
            ApiError::Malformed {
                field: "body".into(),
                detail: String::new(),
            },
            ApiError::MirrorEmpty,
            ApiError::NotFound("x"),
            ApiError::Timeout(1),
            ApiError::SlowBody {
                min_rate: 1,
                grace_ms: 1,
            },
            ApiError::Overloaded(Shed::Queue),
            ApiError::Unstorable {
                code: String::new(),
            },
            ApiError::Unavailable,
        ];
        for e in [
            VerifyError::Decode(DecodeError::DomainTag),
            VerifyError::Decode(DecodeError::UnknownVersion(2)),
            VerifyError::Decode(DecodeError::Truncated("x")),
            VerifyError::Decode(DecodeError::TrailingBytes(1)),
            VerifyError::SignatureLength(1),
            VerifyError::InvalidKey,
            VerifyError::WeakKey,
            VerifyError::BadSignature,
        ] {
            errors.push(ApiError::Invalid(e));
        }
        for r in [Rejection::DataUnitUnknown, Rejection::KeyNotRegistered] {
            errors.push(ApiError::Rejected(r));
        }
        for e in &errors {
            let key = (e.status().as_u16(), e.rule());
            assert!(listed.contains(&key), "{key:?} is not listed");
        }
        for rule in VERIFY_RULES {
            assert!(POST_REPORT[0].1.contains(rule), "{rule}");
        }
        // The signed routes' refusals, by the status they are answered with.
        for (status, rule) in [
            (StatusCode::UNAUTHORIZED, "unsigned"),
            (StatusCode::CONFLICT, "nonce-reused"),
            (StatusCode::FORBIDDEN, "not-owner"),
        ] {
            assert!(listed.contains(&(status.as_u16(), rule)), "{rule}");
        }
    }
}
