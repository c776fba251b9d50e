//! SLA terms from the command line: a JSON file of `sla_protocol::SlaTerms` (or terms that enforce
//! nothing and ask for hourly reports), flags on top. The conversion to and from the contract's
//! struct is `sla_contracts::convert`.

use alloy::primitives::U256;
use anyhow::{bail, Context};
use sla_protocol::aggregate::MAX_PENALTY;
use sla_protocol::SlaTerms;

use crate::args::TermsArgs;

/// The terms the flags describe: the file's (or the defaults), each given flag replacing its field,
/// checked with the contract's validation rules before anything is sent.
pub fn terms_from_args(args: &TermsArgs) -> anyhow::Result<SlaTerms> {
    let mut terms = match &args.terms {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading terms file {}", path.display()))?;
            serde_json::from_str::<SlaTerms>(&text)
                .with_context(|| format!("terms file {}", path.display()))?
        }
        None => SlaTerms::reporting_only(3600),
    };
    macro_rules! set {
        ($($field:ident),*) => {$(
            if let Some(v) = args.$field { terms.$field = v; }
        )*};
    }
    set!(
        max_read_latency_us,
        max_write_latency_us,
        min_upload_bps,
        min_download_bps,
        speed_size_bound,
        min_uptime_bps,
        uptime_window,
        max_error_rate_bps,
        reporting_interval
    );
    if let Some(penalty) = args.penalty_per_epoch {
        if penalty.0 > U256::from(MAX_PENALTY) {
            bail!(
                "invalid terms: penalty_per_epoch {} exceeds 2^84 - 1 wei",
                penalty.0
            );
        }
        terms.penalty_per_epoch = penalty.0.to::<u128>();
    }
    if let Some(weights) = &args.weights {
        terms.weights = weights
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("--weights takes exactly six values"))?;
    }
    terms
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid terms: {e}"))?;
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Amount;

    #[test]
    fn flags_override_defaults_and_are_validated() {
        let args = TermsArgs {
            max_read_latency_us: Some(50_000),
            penalty_per_epoch: Some(Amount(U256::from(7u64))),
            ..TermsArgs::default()
        };
        let terms = terms_from_args(&args).unwrap();
        assert_eq!(terms.max_read_latency_us, 50_000);
        assert_eq!(terms.penalty_per_epoch, 7);

        let bad = TermsArgs {
            weights: Some(vec![1, 2, 3, 4, 5, 6]),
            ..TermsArgs::default()
        };
        let err = terms_from_args(&bad).unwrap_err().to_string();
        assert!(err.contains("weights sum to 21"), "{err}");
    }
}
