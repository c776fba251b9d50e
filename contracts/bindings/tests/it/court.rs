//! The court end to end on anvil: three oracle signers (quorum 2) who are also the three validators
//! flag a provider, vote by commit and reveal, and the decision slashes or suspends it through the
//! oracle. The Rust digest and commitment are checked against the court's views on the way.

use alloy::{
    primitives::{aliases::U48, keccak256, utils::parse_ether, Address, B256, U256},
    providers::Provider,
    sol_types::SolEvent,
};
use sla_contracts::{
    court::{self, Verdict},
    ISlaCourt::{CaseInfo, FaultFlag},
    SlaCourt::{CaseDecided, SlaCourtErrors},
    SlaOracle::SlaOracleErrors,
};

use crate::support::{terms, Chain};

const ADMIN: usize = 0;
const PROVIDER: usize = 1;
const CONSUMERS: [usize; 2] = [2, 3];
/// Anyone: sends the flag and the decision.
const RELAYER: usize = 4;
/// The oracle signers, and the validators (the default court config).
const SIGNERS: [usize; 3] = [7, 8, 9];
/// Faulted checks of the two consumers' data units: the slash is shared 3:1.
const FAULTS: [u32; 2] = [3, 1];

/// A chain with a provider bonded 10 ether and one active allocation per consumer.
struct Setup {
    chain: Chain,
    /// The consumers' data units, ascending (the first consumer's first).
    data_units: Vec<u64>,
    /// The epoch both allocations are active from.
    active_from: u64,
}

impl Setup {
    async fn start() -> Self {
        let chain = Chain::start_with_signers(&SIGNERS, 2).await;
        let provider = chain.oracle_as(PROVIDER);
        send(provider.registerProvider()).await;
        send(provider.bond().value(parse_ether("10").unwrap())).await;
        let mut data_units = Vec::new();
        let mut active_from = 0;
        for consumer in CONSUMERS {
            let id = request_allocation(&chain, consumer).await;
            provider
                .acceptAllocation(id)
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
            let info = provider.getAllocation(id).call().await.unwrap();
            assert_eq!(info.status, 2, "Active");
            active_from = active_from.max(info.activeFromEpoch);
            data_units.push(id);
        }
        assert!(data_units.windows(2).all(|w| w[0] < w[1]));
        Self {
            chain,
            data_units,
            active_from,
        }
    }

    /// The flag of the provider over the two epochs from activation, both data units faulted.
    fn flag(&self) -> FaultFlag {
        FaultFlag {
            provider: self.chain.address(PROVIDER),
            fromEpoch: self.active_from,
            toEpoch: self.active_from + 1,
            faultRateBps: 5000,
            evidenceRoot: keccak256(b"evidence"),
            dataUnitIds: self.data_units.clone(),
            faults: FAULTS.to_vec(),
        }
    }

    /// Closes the flagged epochs, checks the Rust digest against the court's, and flags the
    /// provider with the signatures of two of the three signers. Returns the case id.
    async fn open_case(&self) -> U256 {
        let chain = &self.chain;
        chain.advance_past(self.active_from + 1).await;
        let flag = self.flag();
        let court = chain.court_as(RELAYER);
        let config_version = chain
            .oracle_as(RELAYER)
            .oracleConfig()
            .call()
            .await
            .unwrap()
            .configVersion;
        let digest = court::flag_digest(
            chain.deployment.chain_id,
            *court.address(),
            config_version,
            &flag,
        );
        assert_eq!(
            digest,
            court.flagDigest(flag.clone()).call().await.unwrap(),
            "the Rust EIP-712 digest of a flag is the court's"
        );
        assert_eq!(
            court::fault_flag_typehash(),
            court.FAULT_FLAG_TYPEHASH().call().await.unwrap()
        );
        let signatures = court::sign_flag(&chain.oracle_signers[..2], digest).unwrap();
        let case_id = court
            .flagProvider(flag.clone(), signatures.clone())
            .call()
            .await
            .unwrap();
        send(court.flagProvider(flag, signatures)).await;
        assert_eq!(case_id, U256::from(1));
        assert_eq!(
            court
                .openCaseOf(chain.address(PROVIDER))
                .call()
                .await
                .unwrap(),
            case_id
        );
        case_id
    }

    /// Every validator commits `vote` (checking the Rust commitment against the court's), then
    /// time moves into the reveal phase.
    async fn commit_all(&self, case_id: U256, vote: Verdict) {
        let chain = &self.chain;
        for index in SIGNERS {
            let court = chain.court_as(index);
            let validator = chain.address(index);
            let commitment = court::vote_commitment(case_id, vote, salt(index), validator);
            assert_eq!(
                commitment,
                court
                    .commitmentOf(case_id, vote.into(), salt(index), validator)
                    .call()
                    .await
                    .unwrap(),
                "the Rust vote commitment is the court's"
            );
            send(court.commitVote(case_id, commitment)).await;
        }
        self.advance_to(case_id, |case| case.commitEnd).await;
    }

    /// Moves chain time to the case's `phase_end` (its commit or reveal end).
    async fn advance_to(&self, case_id: U256, phase_end: fn(&CaseInfo) -> U48) {
        let chain = &self.chain;
        let case = chain
            .court_as(RELAYER)
            .getCase(case_id)
            .call()
            .await
            .unwrap();
        let now = chain.now().await;
        chain.advance(phase_end(&case).to::<u64>() - now).await;
    }

    /// The first two validators reveal `vote`; the third never does. Then time moves past the
    /// reveal phase.
    async fn reveal_two(&self, case_id: U256, vote: Verdict) {
        let chain = &self.chain;
        for &index in &SIGNERS[..2] {
            send(
                chain
                    .court_as(index)
                    .revealVote(case_id, vote.into(), salt(index)),
            )
            .await;
        }
        self.advance_to(case_id, |case| case.revealEnd).await;
    }

    /// Anyone decides the case; returns the `CaseDecided` event.
    async fn decide(&self, case_id: U256) -> CaseDecided {
        let court = self.chain.court_as(RELAYER);
        let receipt = court
            .decide(case_id, self.data_units.clone(), FAULTS.to_vec())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| CaseDecided::decode_log_data(l.data()).ok())
            .expect("a CaseDecided event")
    }
}

#[tokio::test]
async fn a_slash_verdict_shares_the_stake_between_the_consumers_pro_rata_to_faults() {
    let setup = Setup::start().await;
    let chain = &setup.chain;
    let oracle = chain.oracle_as(RELAYER);
    let case_id = setup.open_case().await;
    setup.commit_all(case_id, Verdict::Slash).await;

    // A reveal that is not the commitment (another salt) is refused, and leaves it to reveal.
    let late = chain.court_as(SIGNERS[2]);
    let Err(err) = late
        .revealVote(case_id, Verdict::Slash.into(), B256::repeat_byte(0xee))
        .call()
        .await
    else {
        panic!("a reveal that does not match its commitment was accepted");
    };
    match err.as_decoded_interface_error::<SlaCourtErrors>() {
        Some(SlaCourtErrors::CommitmentMismatch(e)) => {
            assert_eq!(
                (e.caseId, e.validator),
                (case_id, chain.address(SIGNERS[2]))
            )
        }
        other => panic!("expected CommitmentMismatch, got {other:?}"),
    }
    setup.reveal_two(case_id, Verdict::Slash).await;

    let provider = chain.address(PROVIDER);
    let stake_before = stake(&oracle, provider).await;
    let balance_before = balance(chain, chain.deployment.contract).await;
    let decided = setup.decide(case_id).await;

    // Two of three revealed Slash: 2 * 10000 >= 6666 * 3, a supermajority.
    assert_eq!(decided.caseId, case_id);
    assert_eq!(decided.provider, provider);
    assert_eq!(
        Verdict::try_from(decided.verdict),
        Ok(Verdict::Slash),
        "verdict"
    );
    assert_eq!(decided.tally, [0, 0, 2, 0, 0]);
    let case = chain
        .court_as(RELAYER)
        .getCase(case_id)
        .call()
        .await
        .unwrap();
    assert_eq!(Verdict::try_from(case.verdict), Ok(Verdict::Slash));
    assert_eq!(case.tally, [0, 0, 2, 0, 0]);

    // slashBps (1000 of the default config) of the stake, shared 3:1, each share rounded down.
    let slash_bps = chain
        .court_as(RELAYER)
        .courtConfig()
        .call()
        .await
        .unwrap()
        .slashBps;
    assert_eq!(slash_bps, 1000);
    let total = stake_before * U256::from(slash_bps) / U256::from(10_000);
    let fault_sum: u32 = FAULTS.iter().sum();
    let shares: Vec<U256> = FAULTS
        .iter()
        .map(|&f| total * U256::from(f) / U256::from(fault_sum))
        .collect();
    for (consumer, share) in CONSUMERS.iter().zip(&shares) {
        assert_eq!(
            oracle
                .withdrawableOf(chain.address(*consumer))
                .call()
                .await
                .unwrap(),
            *share,
            "consumer {consumer}'s share"
        );
    }
    let taken = stake_before - stake(&oracle, provider).await;
    assert_eq!(taken, shares.iter().copied().sum::<U256>());
    assert_eq!(taken, total, "10 ether splits 3:1 without remainder");
    assert_eq!(total, parse_ether("1").unwrap());
    assert_eq!(
        balance(chain, chain.deployment.contract).await,
        balance_before,
        "a slash moves wei inside the oracle"
    );

    // The validator that committed and never revealed is on record; the others are not.
    let court = chain.court_as(RELAYER);
    for (index, missed) in SIGNERS.iter().zip([0u64, 0, 1]) {
        assert_eq!(
            court
                .missedReveals(chain.address(*index))
                .call()
                .await
                .unwrap(),
            U256::from(missed),
            "missed reveals of account {index}"
        );
    }
    assert_eq!(court.openCaseOf(provider).call().await.unwrap(), U256::ZERO);

    // A case is decided once.
    let Err(err) = court
        .decide(case_id, setup.data_units.clone(), FAULTS.to_vec())
        .call()
        .await
    else {
        panic!("a case was decided twice");
    };
    match err.as_decoded_interface_error::<SlaCourtErrors>() {
        Some(SlaCourtErrors::CaseAlreadyDecided(e)) => assert_eq!(e.caseId, case_id),
        other => panic!("expected CaseAlreadyDecided, got {other:?}"),
    }
}

#[tokio::test]
async fn a_suspend_verdict_bars_the_provider_from_accepting_allocations() {
    let setup = Setup::start().await;
    let chain = &setup.chain;
    let case_id = setup.open_case().await;
    setup.commit_all(case_id, Verdict::Suspend).await;
    setup.reveal_two(case_id, Verdict::Suspend).await;
    let stake_before = stake(&chain.oracle_as(RELAYER), chain.address(PROVIDER)).await;
    let decided = setup.decide(case_id).await;
    assert_eq!(Verdict::try_from(decided.verdict), Ok(Verdict::Suspend));
    assert_eq!(decided.tally, [0, 0, 0, 2, 0]);

    let oracle = chain.oracle_as(PROVIDER);
    let period = chain
        .court_as(RELAYER)
        .courtConfig()
        .call()
        .await
        .unwrap()
        .suspensionPeriod;
    let until = oracle
        .suspendedUntil(chain.address(PROVIDER))
        .call()
        .await
        .unwrap();
    assert_eq!(
        until,
        chain.now().await + u64::from(period),
        "from the decision"
    );
    assert_eq!(
        stake(&oracle, chain.address(PROVIDER)).await,
        stake_before,
        "a suspension takes no stake"
    );

    // A new request can be made, but the suspended provider cannot accept it.
    let id = request_allocation(chain, CONSUMERS[0]).await;
    let Err(err) = oracle.acceptAllocation(id).call().await else {
        panic!("a suspended provider accepted an allocation");
    };
    match err.as_decoded_interface_error::<SlaOracleErrors>() {
        Some(SlaOracleErrors::ProviderIsSuspended(e)) => {
            assert_eq!((e.provider, e.until), (chain.address(PROVIDER), until))
        }
        other => panic!("expected ProviderIsSuspended, got {other:?}"),
    }
}

#[tokio::test]
async fn the_default_deployment_binds_its_court_to_the_oracle() {
    let chain = Chain::start().await;
    let court = chain.court_as(ADMIN);
    assert_eq!(
        chain.oracle_as(ADMIN).court().call().await.unwrap(),
        *court.address()
    );
    assert_eq!(
        court.oracle().call().await.unwrap(),
        chain.deployment.contract
    );
    let set = court.validatorSet().call().await.unwrap();
    assert_eq!(set.version, 1);
    assert_eq!(
        set.validators,
        vec![chain.oracle_signers[0].address()],
        "the validators default to the oracle signers"
    );
}

/// The consumer at anvil account `consumer` requests an allocation of the provider; returns its id.
async fn request_allocation(chain: &Chain, consumer: usize) -> u64 {
    let oracle = chain.oracle_as(consumer);
    let provider = chain.address(PROVIDER);
    let id = oracle
        .requestAllocation(provider, terms())
        .call()
        .await
        .unwrap();
    send(oracle.requestAllocation(provider, terms())).await;
    id
}

/// A validator's salt: distinct per validator, as a real one draws at random.
fn salt(index: usize) -> B256 {
    keccak256(index.to_be_bytes())
}

/// The provider's slashable stake (bonded + unbonding).
async fn stake<P: Provider>(
    oracle: &sla_contracts::SlaOracle::SlaOracleInstance<P>,
    provider: Address,
) -> U256 {
    let info = oracle.providerInfo(provider).call().await.unwrap();
    U256::from(info.bonded) + U256::from(info.unbonding)
}

async fn balance(chain: &Chain, account: Address) -> U256 {
    chain
        .provider_as(RELAYER)
        .get_balance(account)
        .await
        .unwrap()
}

/// Sends a call and asserts it was mined successfully.
async fn send<P, D, N>(call: alloy::contract::CallBuilder<P, D, N>)
where
    P: Provider<N>,
    D: alloy::contract::CallDecoder,
    N: alloy::network::Network,
{
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(alloy::network::ReceiptResponse::status(&receipt));
}
