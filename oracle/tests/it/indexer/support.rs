//! A fresh anvil with the contract deployed, funded actors, chain-time and reorg helpers, the
//! databases (SQLite always, PostgreSQL when `SLA_TEST_POSTGRES_URL` is set), and a check that
//! the mirror equals the contract's own views.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    network::TransactionBuilder,
    node_bindings::AnvilInstance,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use sla_contracts::{
    anvil, deploy, pack_results, signing, DeployConfig, DeploymentFile,
    ISlaOracle::{EpochResult, SlaTerms},
    SlaOracle::{self, SlaOracleInstance},
};
use sla_oracle::indexer::{Indexer, IndexerConfig};
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_storage::Database;

pub(super) const EPOCH: u32 = 3600;
pub(super) const WINDOW: u32 = 7200;
pub(super) const REQUEST_TTL: u32 = 600;
pub(super) const PENALTY: u128 = 100_000_000_000_000_000; // 0.1 ether
pub(super) const ETHER: u128 = 1_000_000_000_000_000_000;

/// A data unit id: `providerId << 32 | n`, the provider's n-th allocation (providers are numbered
/// from 1 in the order they register).
pub(super) const fn du(provider_id: u64, n: u64) -> u64 {
    (provider_id << 32) | n
}

/// The first allocation of the first provider registered.
pub(super) const DU1: u64 = du(1, 1);

/// Anvil accounts by role.
pub(super) const ADMIN: usize = 0;
pub(super) const PROVIDER: usize = 1;
pub(super) const CONSUMER: usize = 2;
pub(super) const PROVIDER_B: usize = 3;
pub(super) const CONSUMER_B: usize = 4;
/// Relays result batches (anyone may); used for nothing else, as each contract handle caches
/// its account's nonce.
pub(super) const RELAYER: usize = 5;
/// Deploys and calls the relay contract of [`Chain::submit_relayed`]; nothing else.
pub(super) const CONTRACT_RELAYER: usize = 7;
pub(super) const SIGNER_B: usize = 8;
pub(super) const ORACLE: usize = 9;

/// Sends a contract call and waits for a successful receipt.
#[macro_export]
macro_rules! send {
    ($call:expr) => {{
        let receipt = $call
            .send()
            .await
            .expect("send transaction")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "transaction reverted");
        receipt
    }};
}

/// A running anvil with `SlaOracle` deployed; anvil stops when this is dropped.
pub(super) struct Chain {
    pub anvil: AnvilInstance,
    pub deployment: DeploymentFile,
}

impl Chain {
    /// One-hour epochs, ten-minute allocation requests; account 0 deploys and is admin, account
    /// 9 is the single oracle signer.
    pub(super) async fn start() -> Self {
        let anvil = anvil::spawn().unwrap_or_else(|e| panic!("cannot run the anvil tests: {e}"));
        let deployer: PrivateKeySigner = anvil.keys()[ADMIN].clone().into();
        let config = DeployConfig {
            epoch_length: EPOCH,
            submission_window: WINDOW,
            allocation_request_ttl: REQUEST_TTL,
            oracle_signers: vec![anvil.addresses()[ORACLE]],
            ..DeployConfig::default()
        };
        let deployment = deploy(anvil.endpoint_url(), deployer, &config)
            .await
            .expect("deploy");
        Chain { anvil, deployment }
    }

    /// The contract, called from anvil account `index`.
    pub(super) fn oracle_as(&self, index: usize) -> SlaOracleInstance<DynProvider> {
        let signer: PrivateKeySigner = self.anvil.keys()[index].clone().into();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.anvil.endpoint_url())
            .erased();
        SlaOracle::new(self.deployment.contract, provider)
    }

    pub(super) fn address(&self, index: usize) -> Address {
        self.anvil.addresses()[index]
    }

    /// A read-only provider for the indexer.
    pub(super) fn reader(&self) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.anvil.endpoint_url())
            .erased()
    }

    /// An indexer over `db` at a confirmation depth, with small ranges so that tests cross
    /// range boundaries.
    pub(super) fn indexer(&self, db: &Database, confirmations: u64) -> Indexer<DynProvider> {
        let config = IndexerConfig {
            confirmations,
            max_block_range: 4,
            poll_interval: Duration::from_millis(50),
            ..IndexerConfig::new(&self.deployment)
        };
        Indexer::new(config, db.mirror(), self.reader())
    }

    pub(super) async fn head(&self) -> u64 {
        self.reader()
            .get_block_number()
            .await
            .expect("block number")
    }

    /// The timestamp of a block, Unix ms.
    pub(super) async fn block_ms(&self, number: u64) -> u64 {
        let block = self
            .reader()
            .get_block_by_number(number.into())
            .await
            .expect("block")
            .expect("block exists");
        block.header.timestamp * 1000
    }

    /// The timestamp of a receipt's block, Unix ms.
    pub(super) async fn receipt_ms(&self, receipt: &TransactionReceipt) -> u64 {
        self.block_ms(receipt.block_number.expect("mined")).await
    }

    /// Mines `n` empty blocks.
    pub(super) async fn mine(&self, n: u64) {
        let _: serde_json::Value = self
            .reader()
            .raw_request("anvil_mine".into(), (U256::from(n),))
            .await
            .expect("anvil_mine");
    }

    /// Moves chain time forward by `secs` and mines a block.
    pub(super) async fn advance(&self, secs: u64) {
        let provider = self.reader();
        let _: serde_json::Value = provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await
            .expect("evm_increaseTime");
        let _: serde_json::Value = provider
            .raw_request("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    /// Moves chain time past the end of `epoch` (its results become submittable).
    pub(super) async fn advance_past(&self, epoch: u64) {
        let now = self.block_ms(self.head().await).await / 1000;
        let end = self.deployment.epoch_end(epoch);
        if end > now {
            self.advance(end - now).await;
        }
    }

    pub(super) async fn snapshot(&self) -> U256 {
        self.reader()
            .raw_request("evm_snapshot".into(), ())
            .await
            .expect("evm_snapshot")
    }

    /// Drops every block mined since `snapshot` (a reorg, as far as readers can tell).
    pub(super) async fn revert(&self, snapshot: U256) {
        let reverted: bool = self
            .reader()
            .raw_request("evm_revert".into(), (snapshot,))
            .await
            .expect("evm_revert");
        assert!(reverted, "evm_revert");
    }

    /// Submits `results` for `epoch`, signed by the oracle under `config_version`. The one place
    /// that knows how `submitResults` takes its results.
    pub(super) async fn submit(
        &self,
        epoch: u64,
        config_version: u64,
        results: &[EpochResult],
    ) -> TransactionReceipt {
        let (packed, signatures) = self.signed_batch(epoch, config_version, results);
        send!(self
            .oracle_as(RELAYER)
            .submitResults(epoch, packed, signatures))
    }

    /// Submits like [`Chain::submit`], but through a contract that forwards its input to the
    /// oracle: the transaction's input is the relay's call, the batch an inner call, as anyone
    /// may relay a signed batch they saw (e.g. in the mempool).
    pub(super) async fn submit_relayed(
        &self,
        epoch: u64,
        config_version: u64,
        results: &[EpochResult],
    ) -> TransactionReceipt {
        let (packed, signatures) = self.signed_batch(epoch, config_version, results);
        let input = SlaOracle::submitResultsCall {
            epoch,
            packedResults: packed,
            signatures,
        }
        .abi_encode();
        let signer: PrivateKeySigner = self.anvil.keys()[CONTRACT_RELAYER].clone().into();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.anvil.endpoint_url());
        let deploy = TransactionRequest::default()
            .with_deploy_code(forwarder_init_code(self.deployment.contract));
        let deployed = provider
            .send_transaction(deploy)
            .await
            .expect("deploy the relay")
            .get_receipt()
            .await
            .expect("receipt");
        let relay = deployed.contract_address.expect("the relay's address");
        let call = TransactionRequest::default()
            .with_to(relay)
            .with_input(input)
            .with_gas_limit(5_000_000);
        let receipt = provider
            .send_transaction(call)
            .await
            .expect("relay the batch")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "the relayed batch reverted");
        receipt
    }

    /// Registers `PROVIDER` with a bond of `bond` wei and `count` data units of `CONSUMER`
    /// under [`sla_terms`], all accepted; returns their ids and the first epoch they are all
    /// active in (not yet advanced past).
    pub(super) async fn provider_with_units(&self, bond: u128, count: u64) -> (Vec<u64>, u64) {
        let provider = self.oracle_as(PROVIDER);
        let consumer = self.oracle_as(CONSUMER);
        send!(provider.registerProvider());
        send!(provider.bond().value(U256::from(bond)));
        let ids: Vec<u64> = (1..=count).map(|n| du(1, n)).collect();
        for &id in &ids {
            send!(consumer.requestAllocation(self.address(PROVIDER), sla_terms()));
            send!(provider.acceptAllocation(id));
        }
        let last = consumer
            .getAllocation(ids[ids.len() - 1])
            .call()
            .await
            .unwrap();
        (ids, last.activeFromEpoch)
    }

    /// The packed records of `results` and the oracle's signature over them.
    fn signed_batch(
        &self,
        epoch: u64,
        config_version: u64,
        results: &[EpochResult],
    ) -> (Bytes, Vec<Bytes>) {
        let oracle: PrivateKeySigner = self.anvil.keys()[ORACLE].clone().into();
        let packed = pack_results(results);
        let digest = signing::batch_digest(
            self.deployment.chain_id,
            self.deployment.contract,
            config_version,
            epoch,
            &packed,
        );
        let signatures = signing::sign_batch(std::slice::from_ref(&oracle), digest).expect("sign");
        (packed, signatures)
    }
}

/// Creation code of a 46-byte contract that calls `target` with its own input and returns or
/// reverts with the answer (hand-assembled: the test contracts are not exported as artifacts).
fn forwarder_init_code(target: Address) -> Bytes {
    let mut runtime = vec![
        0x36, 0x5f, 0x5f, 0x37, // calldatacopy(0, 0, calldatasize)
        0x5f, 0x5f, 0x36, 0x5f,
        0x5f, // retSize 0, retOffset 0, argsSize, argsOffset 0, value 0
        0x73, // push20 target
    ];
    runtime.extend_from_slice(target.as_slice());
    runtime.extend_from_slice(&[
        0x5a, 0xf1, // call(gas, target, 0, 0, calldatasize, 0, 0)
        0x3d, 0x5f, 0x5f, 0x3e, // returndatacopy(0, 0, returndatasize)
        0x60, 0x2a, 0x57, // jumpi(42, success)
        0x3d, 0x5f, 0xfd, // revert(0, returndatasize)
        0x5b, 0x3d, 0x5f, 0xf3, // 42: return(0, returndatasize)
    ]);
    assert_eq!(runtime.len(), 46);
    assert_eq!(runtime[42], 0x5b, "the jump lands on its JUMPDEST");
    // codecopy(0, 9, 46); return(0, 46): the 9 bytes of this prefix, then the runtime.
    let mut init = vec![0x60, 46, 0x80, 0x60, 9, 0x5f, 0x39, 0x5f, 0xf3];
    init.extend_from_slice(&runtime);
    init.into()
}

/// The example terms: 10 MB/s up to 1 GB, 99.95 % over 30 days, 0.01 % errors, hourly reports.
pub(super) fn sla_terms() -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 50_000,
        maxWriteLatencyUs: 100_000,
        minUploadBps: 10_000_000,
        minDownloadBps: 10_000_000,
        speedSizeBound: 1_000_000_000,
        minUptimeBps: 9995,
        uptimeWindow: 30 * 86_400,
        maxErrorRateBps: 1,
        reportingInterval: 3600,
        penaltyPerEpoch: alloy::primitives::Uint::from(PENALTY),
        weights: [2000, 1000, 1500, 1500, 2500, 1500],
    }
}

/// Other terms (a different hash), reporting every ten minutes.
pub(super) fn other_terms() -> SlaTerms {
    SlaTerms {
        maxReadLatencyUs: 20_000,
        reportingInterval: 600,
        ..sla_terms()
    }
}

pub(super) fn epoch_result(data_unit_id: u64, violations: u8) -> EpochResult {
    EpochResult {
        dataUnitId: data_unit_id,
        readLatencyUs: 12_345,
        writeLatencyUs: 23_456,
        uploadBps: 12_000_000,
        downloadBps: 15_000_000,
        uptimeBps: 9999,
        errorRateBps: 3,
        operations: 1000,
        violations,
        flags: 0,
        reportsRoot: alloy::primitives::keccak256(data_unit_id.to_be_bytes()),
    }
}

/// A reporter key (an ordinary ed25519 public key) from a seed.
pub(super) fn reporter(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

pub(super) fn key_of(seed: u8) -> [u8; 32] {
    reporter(seed).verifying_key().to_bytes()
}

pub(super) fn b256(key: [u8; 32]) -> B256 {
    B256::from(key)
}

pub(super) use sla_storage::testing::{backends, Backend};

/// A fresh database (a new SQLite file or a new PostgreSQL database).
pub(super) struct Db {
    pub url: String,
    pub storage: Database,
    _dir: tempfile::TempDir,
}

impl Db {
    pub(super) async fn new(backend: &Backend) -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = backend
            .fresh_url(dir.path(), "mirror.sqlite")
            .await
            .expect("create a test database");
        let storage = Database::connect(&url).await.expect("connect");
        Db {
            url,
            storage,
            _dir: dir,
        }
    }

    /// A second connection to the same database (what a restarted process gets).
    pub(super) async fn reconnect(&self) -> Database {
        Database::connect(&self.url).await.expect("reconnect")
    }
}

fn status_of(code: u8) -> AllocationStatus {
    match code {
        1 => AllocationStatus::Requested,
        2 => AllocationStatus::Active,
        3 => AllocationStatus::Declined,
        4 => AllocationStatus::Closed,
        5 => AllocationStatus::Expired,
        other => panic!("unexpected allocation status {other}"),
    }
}

/// Asserts that the mirror holds exactly what the contract's views say: every allocation (the
/// `allocations` row and its chain-only details), the given keys, providers and balances of the
/// given accounts, the oracle configuration and the pause flag. Call it when the mirror's cursor
/// is at the head, or when the blocks after it changed nothing.
pub(super) async fn assert_mirror_equals_chain(
    chain: &Chain,
    storage: &Database,
    keys: &[[u8; 32]],
    accounts: &[usize],
) {
    let c = chain.oracle_as(ADMIN);
    let count = c.allocationCount().call().await.unwrap();
    let requested = chain
        .reader()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(chain.deployment.contract)
                .event_signature(
                    <sla_contracts::SlaOracle::AllocationRequested as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0),
        )
        .await
        .unwrap();
    let ids: Vec<u64> = requested
        .iter()
        .map(|l| {
            l.log_decode::<sla_contracts::SlaOracle::AllocationRequested>()
                .unwrap()
                .inner
                .data
                .dataUnitId
        })
        .collect();
    assert_eq!(ids.len() as u64, count, "every allocation requested once");
    for du in ids {
        let info = c.getAllocation(du).call().await.unwrap();
        let onchain_terms = c.allocationTerms(du).call().await.unwrap();
        let row = storage
            .mirror()
            .current_allocation(du)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("data unit {du} is not mirrored"));
        let expected = Allocation {
            data_unit: du,
            consumer: info.consumer,
            provider: info.provider,
            status: status_of(info.status),
            terms_hash: info.termsHash.0,
            terms: (&onchain_terms).into(),
            active_from_ms: info.acceptedAt * 1000,
            closed_at_ms: (info.closedAt != 0).then_some(info.closedAt * 1000),
        };
        assert_eq!(row, expected, "allocations row of data unit {du}");
        let full = storage.mirror().allocation(du).await.unwrap().unwrap();
        assert_eq!(full.allocation, row, "newest version of data unit {du}");
        assert_eq!(full.profile_id, info.profileId);
        assert_eq!(full.requested_at_ms, info.requestedAt * 1000);
        assert_eq!(full.expires_at_ms, info.expiresAt * 1000);
        assert_eq!(
            full.active_from_epoch,
            (info.acceptedAt != 0).then_some(info.activeFromEpoch)
        );
        assert_eq!(
            full.closed_epoch,
            (info.closedEpoch != u64::MAX).then_some(info.closedEpoch)
        );
    }
    assert_eq!(
        storage
            .mirror()
            .current_allocation(count + 1)
            .await
            .unwrap(),
        None,
        "no allocation beyond the chain's"
    );

    for key in keys {
        let info = c.keyInfo(b256(*key)).call().await.unwrap();
        let row = storage.mirror().current_key(key).await.unwrap();
        if info.owner == Address::ZERO {
            assert_eq!(row, None, "key {} is not on chain", hex::encode(key));
        } else {
            let expected = ReporterKey {
                public_key: *key,
                account: info.owner,
                valid_from_ms: info.validFrom * 1000,
                valid_until_ms: (info.validUntil != 0).then_some(info.validUntil * 1000),
            };
            assert_eq!(
                row,
                Some(expected),
                "reporter_keys row of {}",
                hex::encode(key)
            );
        }
    }

    for &account in accounts {
        let who = chain.address(account);
        let info = c.providerInfo(who).call().await.unwrap();
        let mirrored = storage
            .mirror()
            .provider(&chain.address(account))
            .await
            .unwrap();
        if info.providerId == 0 {
            assert_eq!(mirrored, None, "account {account} is no provider");
        } else {
            let p = mirrored.unwrap_or_else(|| panic!("provider {account} is not mirrored"));
            assert_eq!(p.provider, chain.address(account));
            assert_eq!(p.provider_id, info.providerId);
            assert_eq!(p.reputation, info.reputation, "reputation of {account}");
            assert_eq!(p.bonded, info.bonded, "bond of {account}");
            assert_eq!(p.unbonding, info.unbonding, "unbonding of {account}");
            assert_eq!(p.unbonding_release_at, info.unbondingReleaseAt);
            assert_eq!(
                p.suspended_until,
                c.suspendedUntil(who).call().await.unwrap(),
                "suspension of {account}"
            );
        }
        let withdrawable = c.withdrawableOf(who).call().await.unwrap();
        assert_eq!(
            U256::from(
                storage
                    .mirror()
                    .withdrawable(&chain.address(account))
                    .await
                    .unwrap()
            ),
            withdrawable,
            "withdrawable of {account}"
        );
    }

    let config = c.oracleConfig().call().await.unwrap();
    let mirrored = storage.mirror().oracle_config().await.unwrap().unwrap();
    assert_eq!(mirrored.config_version, config.configVersion);
    assert_eq!(mirrored.signers, config.signers);
    assert_eq!(mirrored.quorum, config.quorum);
    assert_eq!(
        storage.mirror().paused().await.unwrap(),
        c.paused().call().await.unwrap()
    );
}
