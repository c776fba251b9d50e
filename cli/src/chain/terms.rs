//! SLA terms from the command line (a JSON file of `sla_protocol::SlaTerms`, flags on top) and their
//! conversion to and from the contract's `ISlaOracle.SlaTerms`.

use alloy::primitives::aliases::U96;
use alloy::primitives::U256;
use anyhow::{bail, Context};
use sla_contracts::ISlaOracle;
use sla_protocol::aggregate::UINT96_MAX;
use sla_protocol::SlaTerms;

use crate::args::TermsArgs;

/// Weights used when none are given: equal, summing to 10000.
pub const DEFAULT_WEIGHTS: [u16; 6] = [1667, 1667, 1667, 1667, 1666, 1666];

/// Terms that enforce nothing but report hourly; the base flags are applied to.
pub fn default_terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 0,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 0,
        min_uptime_bps: 0,
        uptime_window: 0,
        max_error_rate_bps: 10_000,
        reporting_interval: 3600,
        penalty_per_epoch: 0,
        weights: DEFAULT_WEIGHTS,
    }
}

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
        None => default_terms(),
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
        if penalty.0 > U256::from(UINT96_MAX) {
            bail!("invalid terms: penalty_per_epoch exceeds uint96");
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

/// The contract's struct, field for field.
pub fn to_sol(terms: &SlaTerms) -> ISlaOracle::SlaTerms {
    ISlaOracle::SlaTerms {
        maxReadLatencyUs: terms.max_read_latency_us,
        maxWriteLatencyUs: terms.max_write_latency_us,
        minUploadBps: terms.min_upload_bps,
        minDownloadBps: terms.min_download_bps,
        speedSizeBound: terms.speed_size_bound,
        minUptimeBps: terms.min_uptime_bps,
        uptimeWindow: terms.uptime_window,
        maxErrorRateBps: terms.max_error_rate_bps,
        reportingInterval: terms.reporting_interval,
        penaltyPerEpoch: U96::from(terms.penalty_per_epoch),
        weights: terms.weights,
    }
}

/// The protocol crate's struct, field for field.
pub fn from_sol(terms: &ISlaOracle::SlaTerms) -> SlaTerms {
    SlaTerms {
        max_read_latency_us: terms.maxReadLatencyUs,
        max_write_latency_us: terms.maxWriteLatencyUs,
        min_upload_bps: terms.minUploadBps,
        min_download_bps: terms.minDownloadBps,
        speed_size_bound: terms.speedSizeBound,
        min_uptime_bps: terms.minUptimeBps,
        uptime_window: terms.uptimeWindow,
        max_error_rate_bps: terms.maxErrorRateBps,
        reporting_interval: terms.reportingInterval,
        penalty_per_epoch: terms.penaltyPerEpoch.to::<u128>(),
        weights: terms.weights,
    }
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
        assert_eq!(from_sol(&to_sol(&terms)), terms);

        let bad = TermsArgs {
            weights: Some(vec![1, 2, 3, 4, 5, 6]),
            ..TermsArgs::default()
        };
        let err = terms_from_args(&bad).unwrap_err().to_string();
        assert!(err.contains("weights sum to 21"), "{err}");
    }
}
