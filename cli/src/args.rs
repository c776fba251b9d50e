//! The command tree: what `sla --help` shows. Parsing only; the commands live in
//! [`crate::commands`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use clap::{Args, Parser, Subcommand};

use crate::chain::units::parse_amount;

/// The SLA oracle's command line: reporter keys, provider and consumer flows, the probe agent.
#[derive(Debug, Parser)]
#[command(name = "sla", version, about)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text (errors: one JSON object).
    #[arg(long, global = true)]
    pub json: bool,
    /// Where the contract is and who signs.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the contract is and who signs: used by every command that talks to the chain.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// JSON-RPC endpoint of the chain.
    #[arg(
        long,
        env = "SLA_RPC_URL",
        default_value = "http://127.0.0.1:8545",
        global = true
    )]
    pub rpc_url: Url,
    /// Deployment file written by `sla-deploy` (chain id, contract address).
    #[arg(
        long,
        env = "SLA_DEPLOYMENT",
        default_value = "deployment.json",
        global = true
    )]
    pub deployment: PathBuf,
    /// EVM account private key (hex) that sends transactions. Prefer the environment variable.
    #[arg(long, env = "SLA_PRIVATE_KEY", hide_env_values = true, global = true)]
    pub private_key: Option<SecretKey>,
    /// Blocks to wait for after a transaction is included.
    #[arg(long, default_value_t = 1, global = true)]
    pub confirmations: u64,
    /// Seconds to wait for a transaction's confirmations before giving up.
    #[arg(long, default_value_t = 120, global = true)]
    pub tx_timeout: u64,
    /// Read the chain as of this block number: every view and log of the command sees the same
    /// state (`sla show` and `sla audit` pin to the latest block at their start when it is not
    /// given, so their reads never straddle a change).
    #[arg(long, global = true)]
    pub block: Option<u64>,
}

/// An EVM private key that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct SecretKey(pub PrivateKeySigner);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl FromStr for SecretKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PrivateKeySigner::from_str(s.trim())
            .map(Self)
            .map_err(|_| "not a hex secp256k1 private key".into())
    }
}

/// An amount of wei: `1000` (wei), `1000wei`, `2.5gwei`, `1ether` or `0.5eth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub U256);

impl FromStr for Amount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_amount(s).map(Amount)
    }
}

/// `sla …`: the top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ed25519 reporter keys: generate, show, register/rotate/revoke on chain.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Provider flows: register, bond, publish profiles, accept allocations, unbond.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Consumer flows: allocate a data unit, close it, claim and withdraw penalties owed.
    #[command(subcommand)]
    Consumer(ConsumerCommand),
    /// Read-only views of the contract.
    #[command(subcommand)]
    Show(ShowCommand),
    /// The probe agent: measures a storage endpoint and reports signed QoS records.
    #[command(subcommand)]
    Probe(ProbeCommand),
    /// The court: fault cases, the validators' commit-reveal vote, rebuttals (docs/court.md).
    #[command(subcommand)]
    Court(CourtCommand),
    /// Penalty policies: tiers by severity and grace, agreed by both parties (docs/policy.md).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Maintenance windows: announced by the provider ahead of time, within the policy's notice
    /// and allowance; records inside them do not count (docs/policy.md).
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
    /// Re-verify on-chain results from the public API's reports: signatures, keys, summary,
    /// Merkle root and every field (exit 0 only on a full match; 1 on a mismatch; 2 on errors).
    Audit(AuditArgs),
}

/// `sla court …`: a case's state, the validator's vote, the decision, the provider's rebuttal.
#[derive(Debug, Subcommand)]
pub enum CourtCommand {
    /// A case: the flag, its phases, the tally, the verdict, the default vote and (with a key)
    /// where the sending validator's vote stands.
    Show {
        /// The case id.
        case: u64,
    },
    /// Commit a vote (`commitVote`): by default the rule's vote on the flag's fault rate
    /// (docs/court.md); `--vote` overrides it. The salt is derived from the key, so nothing is
    /// stored and `sla court reveal` or the oracle's validator role with the same key reveals it.
    Commit {
        /// The case id.
        case: u64,
        /// no-action, slash, suspend or remove (default: the rule's vote).
        #[arg(long)]
        vote: Option<sla_protocol::court::Verdict>,
    },
    /// Reveal the sending validator's committed vote (`revealVote`), during the reveal phase.
    Reveal {
        /// The case id.
        case: u64,
    },
    /// Decide a case once its reveal phase is over (`decide`; anyone may, once).
    Decide {
        /// The case id.
        case: u64,
    },
    /// Re-derive a case's flag from the public API's reports: every flagged epoch of every data
    /// unit of the provider recomputed with the checks of `sla audit`, then the rate, data units,
    /// faults and evidence root compared with the flag (exit 0 on a match, 1 on a mismatch).
    Audit {
        /// The case id.
        case: u64,
        /// Base URL of the ingest API's public read API, e.g. `http://127.0.0.1:8080`.
        #[arg(long, env = "SLA_API_URL")]
        api: Url,
        /// Largest uptime window (in epochs) recomputed from reports; a longer window is refused.
        #[arg(long, default_value_t = 168)]
        max_window_epochs: u64,
    },
    /// Attach a rebuttal to a case against the sending provider (`attachRebuttal`): the
    /// keccak-256 of the document, which validators fetch from wherever the provider publishes it.
    Rebut {
        /// The case id.
        case: u64,
        /// The rebuttal document (its hash goes on chain, not the document).
        #[arg(long)]
        document: PathBuf,
    },
}

/// `sla policy …`: propose, agree to and show a data unit's penalty policy.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Propose a policy for a data unit as its consumer or provider (`proposePolicy`); it is
    /// checked here first with the contract's rules. Prints its hash, which the other party agrees to.
    Propose {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
        /// The policy as JSON (docs/policy.md, "The policy as JSON").
        #[arg(long)]
        policy: PathBuf,
    },
    /// Agree, as the other party, to the pending proposal with this hash (`agreePolicy`): it
    /// judges the data unit from the next epoch on, for ever.
    Agree {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
        /// The proposal's hash (0x…), as `sla policy show` or `sla policy propose` print it.
        #[arg(long)]
        hash: alloy::primitives::B256,
    },
    /// Offer a policy on one of your SLA profiles, as its provider (`offerProfilePolicy`); it
    /// replaces an earlier offer. A consumer of an allocation from the profile adopts it by hash.
    Offer {
        /// The profile id.
        #[arg(long)]
        profile: u64,
        /// The policy as JSON (docs/policy.md, "The policy as JSON").
        #[arg(long)]
        policy: PathBuf,
    },
    /// Adopt, as the consumer of an allocation made from a profile, the policy offered on that
    /// profile (`adoptProfilePolicy`): it judges the data unit from the next epoch on, for ever.
    Adopt {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
        /// The offer's hash (0x…), as `sla policy show` or `sla policy offer` print it.
        #[arg(long)]
        hash: alloy::primitives::B256,
    },
    /// A data unit's pending proposal, its profile's offer and its agreed policy, with the
    /// policy itself.
    Show {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
    },
}

/// `sla maintenance …`: announce, cancel and list a data unit's maintenance windows.
#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Announce one window for one or more data units, as their provider
    /// (`announceMaintenance`): at least the policy's notice ahead, in an epoch that has not
    /// begun, not overlapping an earlier window, within the allowance per 30 days.
    Announce {
        /// A data unit (allocation id); repeat for several (one transaction: all or none).
        #[arg(long = "data-unit", required = true)]
        data_units: Vec<u64>,
        /// When it starts: Unix seconds or a UTC time such as 2026-12-07T02:30:00Z.
        #[arg(long, value_parser = parse_utc)]
        start: u64,
        /// How long it lasts: a number with a unit, s, m, h or d (`45m`, `2h`).
        #[arg(long, value_parser = parse_duration)]
        duration: u64,
    },
    /// Cancel a window that has not yet become binding (the epoch it starts in has not begun),
    /// as the provider (`cancelMaintenance`); its time returns to the allowance.
    Cancel {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
        /// The window's index, as `sla maintenance list` prints it.
        #[arg(long)]
        index: u64,
    },
    /// A data unit's windows (cancelled ones marked), its maintenance terms and the allowance
    /// used in the current 30-day period.
    List {
        /// The data unit (allocation id).
        #[arg(long)]
        data_unit: u64,
    },
}

/// A time argument: Unix seconds, or `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn parse_utc(s: &str) -> Result<u64, String> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(secs);
    }
    let bad = || format!("{s:?} is neither Unix seconds nor a UTC time like 2026-12-07T02:30:00Z");
    let t = s.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = t.split_once('T').ok_or_else(bad)?;
    let fields: Vec<i64> = date
        .split('-')
        .chain(time.split(':'))
        .map(|f| f.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let parts: [i64; 6] = fields.try_into().map_err(|_| bad())?;
    sla_runtime::utc_secs(parts).ok_or_else(bad)
}

/// A duration argument in seconds: a positive number followed by `s`, `m`, `h` or `d`.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a duration like 45m, 2h or 90s");
    let unit = match s.chars().last() {
        Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3_600,
        Some('d') => 86_400,
        _ => return Err(bad()),
    };
    let n: u64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
    match n.checked_mul(unit) {
        Some(secs) if secs > 0 => Ok(secs),
        _ => Err(bad()),
    }
}

/// `sla audit`: which data unit and epochs, and where the public read API is.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The data unit (allocation id).
    #[arg(long)]
    pub data_unit: u64,
    /// The (first) epoch to audit.
    #[arg(long)]
    pub epoch: u64,
    /// Audit every epoch from `--epoch` to this one, inclusive.
    #[arg(long)]
    pub to_epoch: Option<u64>,
    /// Base URL of the ingest API's public read API, e.g. `http://127.0.0.1:8080`.
    #[arg(long, env = "SLA_API_URL")]
    pub api: Url,
    /// Largest uptime window (in epochs) recomputed from reports; a longer window is refused.
    #[arg(long, default_value_t = 168)]
    pub max_window_epochs: u64,
}

/// `sla key …`: reporter key files and their registration on chain.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate an ed25519 reporter key; the seed is written hex-encoded with 0600 permissions.
    Generate {
        /// The key file to write.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the public key (hex) of a key file.
    Show {
        /// The key file.
        file: PathBuf,
    },
    /// Register a reporter key on chain for the sending account (`registerKey`).
    Register {
        /// A key file, or a public key as 64 hex digits.
        key: KeyRef,
    },
    /// Atomically revoke OLD and register NEW for the sending account (`rotateKey`).
    Rotate {
        /// The key being replaced: a key file or a public key (hex).
        old: KeyRef,
        /// The new key: a key file or a public key (hex).
        new: KeyRef,
    },
    /// Revoke a reporter key of the sending account (`revokeKey`); it can never be registered again.
    Revoke {
        /// A key file, or a public key as 64 hex digits.
        key: KeyRef,
    },
}

/// A reporter key named on the command line: a key file or the public key itself.
#[derive(Debug, Clone)]
pub enum KeyRef {
    /// The 32-byte public key.
    Public([u8; 32]),
    /// A key file written by `sla key generate`.
    File(PathBuf),
}

impl FromStr for KeyRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("0x").unwrap_or(s);
        let mut key = [0u8; 32];
        if hex_part.len() == 64 && hex::decode_to_slice(hex_part, &mut key).is_ok() {
            return Ok(KeyRef::Public(key));
        }
        Ok(KeyRef::File(PathBuf::from(s)))
    }
}

/// `sla provider …`: the provider's flows on chain.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Register the sending account as a provider (`registerProvider`).
    Register,
    /// Add AMOUNT to the provider's bond (`bond`), e.g. `1ether`.
    Bond {
        /// Wei, or a number with a unit: `1ether`, `0.5eth`, `100gwei`.
        amount: Amount,
    },
    /// SLA profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Answer allocation requests.
    #[command(subcommand)]
    Allocation(ProviderAllocationCommand),
    /// Start unbonding AMOUNT (`requestUnbond`); it stays slashable until withdrawn.
    Unbond {
        /// Wei, or a number with a unit: `1ether`, `0.5eth`, `100gwei`.
        amount: Amount,
    },
    /// Withdraw the released unbonding stake (`withdrawUnbonded`).
    WithdrawUnbonded,
}

/// `sla provider profile …`: SLA profiles.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Publish an SLA profile (`publishProfile`); prints its id.
    Publish {
        /// The profile's terms.
        #[command(flatten)]
        terms: TermsArgs,
    },
}

/// `sla provider allocation …`: answers to allocation requests.
#[derive(Debug, Subcommand)]
pub enum ProviderAllocationCommand {
    /// Accept a requested allocation (`acceptAllocation`).
    Accept {
        /// The allocation (data unit) id.
        id: u64,
    },
    /// Decline a requested allocation (`declineAllocation`).
    Decline {
        /// The allocation (data unit) id.
        id: u64,
    },
    /// Close an active allocation (`closeAllocation`).
    Close {
        /// The allocation (data unit) id.
        id: u64,
    },
}

/// `sla consumer …`: the consumer's flows on chain.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ConsumerCommand {
    /// Request an allocation from a provider with your own terms or one of its profiles.
    Allocate {
        /// The provider's account (with custom terms).
        #[arg(long, required_unless_present = "profile", conflicts_with = "profile")]
        provider: Option<Address>,
        /// Use the terms of this published profile (`requestAllocationFromProfile`).
        #[arg(long)]
        profile: Option<u64>,
        /// The custom terms (with `--provider`; refused with `--profile`).
        #[command(flatten)]
        terms: TermsArgs,
    },
    /// Manage an allocation.
    #[command(subcommand)]
    Allocation(ConsumerAllocationCommand),
    /// Credit a data unit's escrowed penalties to its consumer (`claimPenalties`; anyone may).
    Claim {
        /// The allocation (data unit) id.
        #[arg(long)]
        data_unit: u64,
        /// Only these epochs (repeatable); default: every epoch with a penalty in escrow.
        #[arg(long)]
        epoch: Vec<u64>,
    },
    /// Withdraw the penalties credited to the sending account (`withdraw`); claim them first.
    Withdraw,
}

/// `sla consumer allocation …`: the consumer's allocations.
#[derive(Debug, Subcommand)]
pub enum ConsumerAllocationCommand {
    /// Close an active allocation (`closeAllocation`).
    Close {
        /// The allocation (data unit) id.
        id: u64,
    },
}

/// `sla show …`: read-only views of the contract.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// An allocation's status, parties and terms.
    Allocation {
        /// The allocation (data unit) id.
        id: u64,
    },
    /// A provider's id, reputation and stake (default: the sending account).
    Provider {
        /// The provider's account.
        address: Option<Address>,
    },
    /// A published profile.
    Profile {
        /// The profile id.
        id: u64,
    },
    /// Who owns a reporter key and when it is valid.
    Key {
        /// A key file, or a public key as 64 hex digits.
        key: KeyRef,
    },
    /// The withdrawable balance (penalties owed) of an account (default: the sending account).
    Balance {
        /// The account.
        address: Option<Address>,
    },
}

/// SLA terms, from a JSON file of `sla_protocol::SlaTerms` or from flags (flags override the
/// file's fields). Units: microseconds, bytes per second, bytes, basis points, seconds, wei.
#[derive(Debug, Clone, Default, Args)]
pub struct TermsArgs {
    /// JSON file of SLA terms (the snake_case fields of `SlaTerms`, see docs/cli.md).
    #[arg(long)]
    pub terms: Option<PathBuf>,
    /// Max mean read latency, µs (0 = not enforced).
    #[arg(long)]
    pub max_read_latency_us: Option<u32>,
    /// Max mean write latency, µs (0 = not enforced).
    #[arg(long)]
    pub max_write_latency_us: Option<u32>,
    /// Min mean upload speed, bytes/s (0 = not enforced).
    #[arg(long)]
    pub min_upload_bps: Option<u64>,
    /// Min mean download speed, bytes/s (0 = not enforced).
    #[arg(long)]
    pub min_download_bps: Option<u64>,
    /// Largest object the speed terms apply to, bytes.
    #[arg(long)]
    pub speed_size_bound: Option<u64>,
    /// Min uptime, basis points (0 = not enforced).
    #[arg(long)]
    pub min_uptime_bps: Option<u16>,
    /// Window the uptime is judged over, seconds.
    #[arg(long)]
    pub uptime_window: Option<u32>,
    /// Max error rate, basis points (10000 = not enforced; the default).
    #[arg(long)]
    pub max_error_rate_bps: Option<u16>,
    /// Max seconds between two reports of a reporter, 1..=86400 (default 3600).
    #[arg(long)]
    pub reporting_interval: Option<u32>,
    /// Moved from the provider's bond to the consumer per violating epoch: wei or `0.01ether`.
    #[arg(long)]
    pub penalty_per_epoch: Option<Amount>,
    /// Six score weights summing to 10000: read latency, write latency, upload, download, uptime,
    /// error rate (default 1667,1667,1667,1667,1666,1666).
    #[arg(long, value_delimiter = ',')]
    pub weights: Option<Vec<u16>>,
}

impl TermsArgs {
    /// Whether any term was given (a file or a flag).
    pub fn any(&self) -> bool {
        self.terms.is_some()
            || self.max_read_latency_us.is_some()
            || self.max_write_latency_us.is_some()
            || self.min_upload_bps.is_some()
            || self.min_download_bps.is_some()
            || self.speed_size_bound.is_some()
            || self.min_uptime_bps.is_some()
            || self.uptime_window.is_some()
            || self.max_error_rate_bps.is_some()
            || self.reporting_interval.is_some()
            || self.penalty_per_epoch.is_some()
            || self.weights.is_some()
    }
}

/// `sla probe …`: the probe agent.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Run the probe agent until Ctrl-C or SIGTERM: measure, spool, sign and deliver reports.
    Run {
        /// The probe configuration (TOML, or JSON for a `.json` file).
        #[arg(long, env = "SLA_PROBE_CONFIG")]
        config: PathBuf,
    },
    /// Run one measurement round and print its records (no spool, no report).
    Once {
        /// The probe configuration (TOML, or JSON for a `.json` file).
        #[arg(long, env = "SLA_PROBE_CONFIG")]
        config: PathBuf,
    },
    /// Show the spool: records, reports and their delivery status.
    Status {
        /// The probe configuration (TOML, or JSON for a `.json` file).
        #[arg(long, env = "SLA_PROBE_CONFIG")]
        config: PathBuf,
    },
    /// Put reports the ingest API rejected back in the delivery queue (after fixing the cause).
    Retry {
        /// The probe configuration (TOML, or JSON for a `.json` file).
        #[arg(long, env = "SLA_PROBE_CONFIG")]
        config: PathBuf,
    },
}
