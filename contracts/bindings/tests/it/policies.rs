//! `SlaPolicies` on anvil: a consumer proposes a tiered policy for its allocation, the provider
//! agrees to its hash, the agreement judges from the next epoch, the proposal event carries the
//! whole policy back, the provider announces and cancels maintenance windows under the policy's
//! terms, a provider offers a policy on its SLA profile and the consumer of an allocation from it
//! adopts it, and refusals decode to the interface's custom errors.

use alloy::{
    primitives::{keccak256, B256, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::{SolEvent, SolValue},
};
use sla_contracts::{
    anvil, deploy,
    policies::MaintenanceWindow,
    DeployConfig,
    ISlaPolicies::{MetricRule, Policy, Tier},
    SlaOracle, SlaPolicies,
    SlaPolicies::{
        MaintenanceAnnounced, MaintenanceCancelled, PolicyAgreed, PolicyProposed,
        ProfilePolicyOffered, SlaPoliciesErrors,
    },
};
use sla_protocol::policy::MAINTENANCE_PERIOD_S;

use crate::support::{signer, terms, Chain};

const PROVIDER: usize = 1;
const CONSUMER: usize = 2;
/// Most gas a first proposal of [`policy`] (one metric rule) may cost (transaction gas, from the
/// receipt): the 127,528 measured (contracts/GAS.md) plus ~2 %.
const PROPOSE_GAS_BOUND: u64 = 130_100;
/// Most gas an agreement may cost: the 51,134 measured plus ~2 %.
const AGREE_GAS_BOUND: u64 = 52_200;
/// Most gas a data unit's first maintenance window may cost: the 114,024 measured plus ~2 %.
const ANNOUNCE_GAS_BOUND: u64 = 116_400;
/// Most gas cancelling a data unit's latest window may cost: the 60,324 measured plus ~2 %.
const CANCEL_GAS_BOUND: u64 = 61_600;

/// Most gas a profile's first offer of [`policy`] may cost: the 130,324 measured plus ~2 %.
const OFFER_GAS_BOUND: u64 = 132_900;
/// Most gas an adoption (nothing proposed before) may cost: the 92,461 measured plus ~2 %.
const ADOPT_GAS_BOUND: u64 = 94_300;

/// The example policy's maintenance notice: half an epoch.
const NOTICE: u32 = 1800;
/// The example policy's maintenance allowance per period: four hours.
const ALLOWANCE: u32 = 4 * 3600;

/// The example policy: three read-latency tiers, two upload tiers, two free epochs a day,
/// maintenance of up to [`ALLOWANCE`] a period announced [`NOTICE`] ahead.
fn policy() -> Policy {
    let mut tiers: [[Tier; 3]; 6] = Default::default();
    tiers[0] = [
        Tier {
            bound: 60_000,
            sharePct: 25,
        },
        Tier {
            bound: 100_000,
            sharePct: 50,
        },
        Tier {
            bound: 200_000,
            sharePct: 100,
        },
    ];
    tiers[2][0] = Tier {
        bound: 8_000_000,
        sharePct: 20,
    };
    tiers[2][1] = Tier {
        bound: 5_000_000,
        sharePct: 40,
    };
    let mut rules: [MetricRule; 4] = Default::default();
    rules[0] = MetricRule {
        gauge: B256::right_padding_from(b"disk_free_bp"),
        aggregation: 1,
        comparator: 1,
        level: 0,
        threshold: 1_000,
        sharePct: 50,
    };
    Policy {
        tiers,
        graceEpochs: 2,
        graceWindowEpochs: 24,
        maintenanceNoticeSecs: NOTICE,
        maintenanceAllowanceSecs: ALLOWANCE,
        rules,
    }
}

/// A registered provider and one allocation the consumer requested from it (still Requested).
async fn requested_allocation(chain: &Chain) -> u64 {
    send(chain.oracle_as(PROVIDER).registerProvider()).await;
    let oracle = chain.oracle_as(CONSUMER);
    let provider = chain.address(PROVIDER);
    let id = oracle
        .requestAllocation(provider, terms())
        .call()
        .await
        .unwrap();
    send(oracle.requestAllocation(provider, terms())).await;
    id
}

#[tokio::test]
async fn the_consumer_proposes_the_provider_agrees_from_the_next_epoch() {
    let chain = Chain::start().await;
    let id = requested_allocation(&chain).await;
    // Agree a few epochs in, so that the epoch a policy judges from is not trivially 1.
    chain.advance_past(2).await;
    let consumer = chain.policies_as(CONSUMER);
    let provider = chain.policies_as(PROVIDER);
    let policy = policy();

    // The hash is keccak256 of the ABI encoding, in Rust as in the contract.
    let hash = keccak256(policy.abi_encode());
    assert_eq!(
        consumer.policyHash(policy.clone()).call().await.unwrap(),
        hash
    );
    consumer
        .validatePolicy(policy.clone())
        .call()
        .await
        .unwrap();
    assert_eq!(
        consumer
            .proposePolicy(id, policy.clone())
            .call()
            .await
            .unwrap(),
        hash,
        "proposePolicy returns the hash"
    );

    let receipt = send(consumer.proposePolicy(id, policy.clone())).await;
    let proposed: PolicyProposed = event(&receipt, *consumer.address());
    assert_eq!(proposed.dataUnitId, id);
    assert_eq!(proposed.proposer, chain.address(CONSUMER));
    assert_eq!(proposed.policyHash, hash);
    assert_eq!(
        proposed.policy, policy,
        "the event carries the whole policy"
    );
    assert_eq!(keccak256(proposed.policy.abi_encode()), hash);
    let propose_gas = receipt.gas_used;
    let pending = consumer.proposalOf(id).call().await.unwrap();
    assert_eq!(
        (pending.policyHash_, pending.proposer),
        (hash, chain.address(CONSUMER))
    );

    let receipt = send(provider.agreePolicy(id, hash)).await;
    let agree_gas = receipt.gas_used;
    let epoch = epoch_of(&chain, &receipt).await;
    assert!(epoch >= 3, "time moved past epoch 2");
    let agreed: PolicyAgreed = event(&receipt, *provider.address());
    assert_eq!(
        (
            agreed.dataUnitId,
            agreed.agreedBy,
            agreed.policyHash,
            agreed.fromEpoch
        ),
        (id, chain.address(PROVIDER), hash, epoch + 1)
    );
    let judged = provider.policyOf(id).call().await.unwrap();
    assert_eq!(
        (judged.policyHash_, judged.fromEpoch),
        (hash, epoch + 1),
        "agreed in epoch e, it judges from e + 1"
    );
    let pending = provider.proposalOf(id).call().await.unwrap();
    assert_eq!(
        (pending.policyHash_, pending.proposer),
        (B256::ZERO, alloy::primitives::Address::ZERO),
        "the proposal is cleared"
    );

    // Read back as an auditor does: the hash from policyOf, the policy from the event.
    let read = sla_contracts::policies::agreed_policy_of(
        &chain.provider_as(PROVIDER),
        *provider.address(),
        0,
        id,
    )
    .await
    .unwrap()
    .expect("agreed");
    assert_eq!(read.from_epoch, epoch + 1);
    assert_eq!(
        sla_contracts::ISlaPolicies::Policy::from(&read.policy),
        policy
    );
    assert_eq!(sla_contracts::policies::policy_hash(&read.policy), hash.0);
    assert!(
        sla_contracts::policies::agreed_policy_of(
            &chain.provider_as(PROVIDER),
            *provider.address(),
            0,
            id + 1
        )
        .await
        .unwrap()
        .is_none(),
        "nothing agreed for another data unit"
    );

    // Once agreed, it never changes.
    let Err(err) = provider.proposePolicy(id, policy).call().await else {
        panic!("a policy was proposed after agreement");
    };
    match err.as_decoded_interface_error::<SlaPoliciesErrors>() {
        Some(SlaPoliciesErrors::PolicyAlreadyAgreed(e)) => assert_eq!(e.dataUnitId, id),
        other => panic!("expected PolicyAlreadyAgreed, got {other:?}"),
    }

    eprintln!("gas: proposePolicy {propose_gas}, agreePolicy {agree_gas}");
    assert!(
        propose_gas <= PROPOSE_GAS_BOUND,
        "proposePolicy {propose_gas}"
    );
    assert!(agree_gas <= AGREE_GAS_BOUND, "agreePolicy {agree_gas}");
}

#[tokio::test]
async fn an_invalid_policy_reverts_with_the_metric_and_tier_it_breaks() {
    let chain = Chain::start().await;
    let id = requested_allocation(&chain).await;
    let consumer = chain.policies_as(CONSUMER);
    // Upload has a minimum: a second tier with a higher bound is not toward worse values.
    let mut invalid = policy();
    invalid.tiers[2][1].bound = 9_000_000;
    let Err(validated) = consumer.validatePolicy(invalid.clone()).call().await else {
        panic!("an invalid policy validated");
    };
    let Err(proposed) = consumer.proposePolicy(id, invalid).call().await else {
        panic!("an invalid policy was proposed");
    };
    for err in [validated, proposed] {
        match err.as_decoded_interface_error::<SlaPoliciesErrors>() {
            Some(SlaPoliciesErrors::InvalidTierOrder(e)) => {
                assert_eq!((e.metric, e.index), (U256::from(2), U256::from(1)))
            }
            other => panic!("expected InvalidTierOrder, got {other:?}"),
        }
    }
    // A share above 100 names its value too.
    let mut invalid = policy();
    invalid.tiers[0][2].sharePct = 101;
    let Err(err) = consumer.validatePolicy(invalid).call().await else {
        panic!("a share above 100 validated");
    };
    match err.as_decoded_interface_error::<SlaPoliciesErrors>() {
        Some(SlaPoliciesErrors::InvalidTierShare(e)) => assert_eq!(
            (e.metric, e.index, e.sharePct),
            (U256::ZERO, U256::from(2), 101)
        ),
        other => panic!("expected InvalidTierShare, got {other:?}"),
    }
    // A rule's refusal names the rule and its bad value.
    let mut invalid = policy();
    invalid.rules[0].level = -7;
    let Err(err) = consumer.validatePolicy(invalid).call().await else {
        panic!("a level on a mean validated");
    };
    match err.as_decoded_interface_error::<SlaPoliciesErrors>() {
        Some(SlaPoliciesErrors::InvalidRuleLevel(e)) => {
            assert_eq!((e.index, e.level), (U256::ZERO, -7))
        }
        other => panic!("expected InvalidRuleLevel, got {other:?}"),
    }
    // Nobody but the parties proposes.
    let stranger = chain.policies_as(3);
    let err = stranger
        .proposePolicy(id, policy())
        .call()
        .await
        .unwrap_err();
    match err.as_decoded_interface_error::<SlaPoliciesErrors>() {
        Some(SlaPoliciesErrors::NotAllocationParty(e)) => {
            assert_eq!((e.dataUnitId, e.caller), (id, chain.address(3)))
        }
        other => panic!("expected NotAllocationParty, got {other:?}"),
    }
}

#[tokio::test]
async fn the_provider_announces_and_cancels_maintenance_windows_under_the_agreed_terms() {
    let chain = Chain::start().await;
    let id = requested_allocation(&chain).await;
    let consumer = chain.policies_as(CONSUMER);
    let provider = chain.policies_as(PROVIDER);
    let reader = chain.provider_as(0);
    let address = *provider.address();
    assert_eq!(
        provider.MAINTENANCE_PERIOD().call().await.unwrap(),
        U256::from(MAINTENANCE_PERIOD_S),
        "the protocol's period is the contract's"
    );

    // Nothing agreed: no terms, no windows.
    let now = chain.now().await;
    let start = chain
        .deployment
        .epoch_end(chain.deployment.epoch_at(now) + 1);
    match reverted(provider.announceMaintenance(vec![id], start, start + 3600)).await {
        SlaPoliciesErrors::NoMaintenanceTerms(e) => assert_eq!(e.dataUnitId, id),
        other => panic!("expected NoMaintenanceTerms, got {other:?}"),
    }
    send(consumer.proposePolicy(id, policy())).await;
    send(provider.agreePolicy(id, keccak256(policy().abi_encode()))).await;
    let terms = provider.maintenanceTermsOf(id).call().await.unwrap();
    assert_eq!((terms.noticeSecs, terms.allowanceSecs), (NOTICE, ALLOWANCE));

    // A window at the start of the epoch after next: past the notice (half an epoch) and the next
    // epoch's start however many seconds the next blocks add.
    let receipt = send(provider.announceMaintenance(vec![id], start, start + 3600)).await;
    let announce_gas = receipt.gas_used;
    let announced: MaintenanceAnnounced = event(&receipt, address);
    assert_eq!(
        (
            announced.dataUnitId,
            announced.index,
            announced.start,
            announced.end
        ),
        (id, U256::ZERO, start, start + 3600)
    );
    let period = start / u64::from(MAINTENANCE_PERIOD_S);
    assert_eq!(
        provider.maintenanceUsed(id, period).call().await.unwrap(),
        3600
    );

    // A second window, cancelled: it stays listed, and its hour goes back to the allowance.
    send(provider.announceMaintenance(vec![id], start + 7200, start + 10_800)).await;
    let receipt = send(provider.cancelMaintenance(id, U256::from(1))).await;
    let cancel_gas = receipt.gas_used;
    let cancelled: MaintenanceCancelled = event(&receipt, address);
    assert_eq!((cancelled.dataUnitId, cancelled.index), (id, U256::from(1)));
    let windows = sla_contracts::policies::maintenance_windows_of(&reader, address, id)
        .await
        .unwrap();
    assert_eq!(
        windows,
        vec![
            MaintenanceWindow {
                index: 0,
                start_s: start,
                end_s: start + 3600,
                cancelled: false
            },
            MaintenanceWindow {
                index: 1,
                start_s: start + 7200,
                end_s: start + 10_800,
                cancelled: true
            },
        ]
    );
    assert_eq!(
        windows
            .iter()
            .filter_map(MaintenanceWindow::counted)
            .collect::<Vec<_>>(),
        vec![sla_protocol::aggregate::MaintenanceWindow {
            start_s: start,
            end_s: start + 3600
        }],
        "only the window that is not cancelled excludes records"
    );
    assert_eq!(
        provider.maintenanceUsed(id, period).call().await.unwrap(),
        3600
    );
    assert!(
        sla_contracts::policies::maintenance_windows_of(&reader, address, id + 1)
            .await
            .unwrap()
            .is_empty(),
        "no windows for another data unit"
    );

    // Refusals decode to the named errors with their arguments.
    match reverted(provider.announceMaintenance(vec![id], start + 1800, start + 5400)).await {
        SlaPoliciesErrors::MaintenanceOverlap(e) => {
            assert_eq!(
                (e.dataUnitId, e.start, e.lastEnd),
                (id, start + 1800, start + 3600)
            )
        }
        other => panic!("expected MaintenanceOverlap, got {other:?}"),
    }
    match reverted(provider.announceMaintenance(vec![id], start + 3600, start + 3600 + 4 * 3600))
        .await
    {
        SlaPoliciesErrors::MaintenanceOverAllowance(e) => assert_eq!(
            (e.dataUnitId, e.used, e.requested, e.allowance),
            (id, 3600, 4 * 3600, ALLOWANCE)
        ),
        other => panic!("expected MaintenanceOverAllowance, got {other:?}"),
    }
    let now = chain.now().await;
    match reverted(provider.announceMaintenance(vec![id], now, now + 60)).await {
        SlaPoliciesErrors::MaintenanceTooLate(e) => {
            assert_eq!((e.dataUnitId, e.start), (id, now));
            assert!(e.earliest >= now + u64::from(NOTICE), "{}", e.earliest);
        }
        other => panic!("expected MaintenanceTooLate, got {other:?}"),
    }
    match reverted(consumer.announceMaintenance(vec![id], start + 3600, start + 7200)).await {
        SlaPoliciesErrors::NotProvider(e) => {
            assert_eq!((e.dataUnitId, e.caller), (id, chain.address(CONSUMER)))
        }
        other => panic!("expected NotProvider, got {other:?}"),
    }
    match reverted(provider.cancelMaintenance(id, U256::from(1))).await {
        SlaPoliciesErrors::NoSuchMaintenance(e) => {
            assert_eq!((e.dataUnitId, e.index), (id, U256::from(1)))
        }
        other => panic!("expected NoSuchMaintenance, got {other:?}"),
    }
    // Once the window's epoch has begun it is locked.
    chain
        .advance_past(chain.deployment.epoch_at(start) - 1)
        .await;
    match reverted(provider.cancelMaintenance(id, U256::ZERO)).await {
        SlaPoliciesErrors::MaintenanceLocked(e) => {
            assert_eq!((e.dataUnitId, e.index), (id, U256::ZERO))
        }
        other => panic!("expected MaintenanceLocked, got {other:?}"),
    }

    eprintln!(
        "gas: announceMaintenance (first window) {announce_gas}, cancelMaintenance {cancel_gas}"
    );
    assert!(
        announce_gas <= ANNOUNCE_GAS_BOUND,
        "announceMaintenance {announce_gas}"
    );
    assert!(
        cancel_gas <= CANCEL_GAS_BOUND,
        "cancelMaintenance {cancel_gas}"
    );
}

#[tokio::test]
async fn the_consumer_adopts_the_policy_its_providers_profile_offers() {
    let chain = Chain::start().await;
    // Each party sends to both contracts: one provider (one nonce cache) per party.
    let as_provider = chain.provider_as(PROVIDER);
    let as_consumer = chain.provider_as(CONSUMER);
    let oracle_provider = SlaOracle::new(chain.deployment.contract, as_provider.clone());
    let oracle_consumer = SlaOracle::new(chain.deployment.contract, as_consumer.clone());
    let address = *chain.policies_as(0).address();
    let provider = SlaPolicies::new(address, as_provider);
    let consumer = SlaPolicies::new(address, as_consumer);
    send(oracle_provider.registerProvider()).await;
    let reader = chain.provider_as(0);

    let profile_id = oracle_provider
        .publishProfile(terms())
        .call()
        .await
        .unwrap();
    send(oracle_provider.publishProfile(terms())).await;
    assert_eq!(
        sla_contracts::policies::profile_policy_of(&reader, address, 0, profile_id)
            .await
            .unwrap(),
        None,
        "no offer yet"
    );

    // The provider offers the example policy on its profile; the event carries it whole.
    let policy = policy();
    let hash = keccak256(policy.abi_encode());
    let receipt = send(provider.offerProfilePolicy(profile_id, policy.clone())).await;
    let offer_gas = receipt.gas_used;
    let offered: ProfilePolicyOffered = event(&receipt, address);
    assert_eq!(
        (offered.profileId, offered.provider, offered.policyHash),
        (profile_id, chain.address(PROVIDER), hash)
    );
    assert_eq!(offered.policy, policy, "the event carries the whole policy");
    assert_eq!(
        provider.profilePolicyOf(profile_id).call().await.unwrap(),
        hash
    );
    let (read_hash, read_policy) =
        sla_contracts::policies::profile_policy_of(&reader, address, 0, profile_id)
            .await
            .unwrap()
            .expect("offered");
    assert_eq!(read_hash, hash.0);
    assert_eq!(
        sla_contracts::ISlaPolicies::Policy::from(&read_policy),
        policy
    );

    // Only the profile's provider offers.
    match reverted(consumer.offerProfilePolicy(profile_id, policy.clone())).await {
        SlaPoliciesErrors::NotProfileProvider(e) => assert_eq!(
            (e.profileId, e.caller),
            (profile_id, chain.address(CONSUMER))
        ),
        other => panic!("expected NotProfileProvider, got {other:?}"),
    }

    // The consumer allocates from the profile, the provider accepts, a few epochs go by.
    let id = oracle_consumer
        .requestAllocationFromProfile(profile_id)
        .call()
        .await
        .unwrap();
    send(oracle_consumer.requestAllocationFromProfile(profile_id)).await;
    send(oracle_provider.acceptAllocation(id)).await;
    chain.advance_past(2).await;

    // A hash that is not on offer names the data unit, its profile and the hash.
    let other = keccak256(b"not on offer");
    match reverted(consumer.adoptProfilePolicy(id, other)).await {
        SlaPoliciesErrors::NoSuchProfilePolicy(e) => assert_eq!(
            (e.dataUnitId, e.profileId, e.policyHash),
            (id, profile_id, other)
        ),
        other => panic!("expected NoSuchProfilePolicy, got {other:?}"),
    }
    match reverted(provider.adoptProfilePolicy(id, hash)).await {
        SlaPoliciesErrors::NotConsumer(e) => {
            assert_eq!((e.dataUnitId, e.caller), (id, chain.address(PROVIDER)))
        }
        other => panic!("expected NotConsumer, got {other:?}"),
    }

    // Adopted by hash: agreed from the next epoch, with the offer's maintenance terms.
    let receipt = send(consumer.adoptProfilePolicy(id, hash)).await;
    let adopt_gas = receipt.gas_used;
    let epoch = epoch_of(&chain, &receipt).await;
    let agreed: PolicyAgreed = event(&receipt, address);
    assert_eq!(
        (
            agreed.dataUnitId,
            agreed.agreedBy,
            agreed.policyHash,
            agreed.fromEpoch
        ),
        (id, chain.address(CONSUMER), hash, epoch + 1)
    );
    let terms = provider.maintenanceTermsOf(id).call().await.unwrap();
    assert_eq!((terms.noticeSecs, terms.allowanceSecs), (NOTICE, ALLOWANCE));

    // Read back as an auditor does: no proposal of the data unit has the hash, its profile's
    // offer does.
    let read = sla_contracts::policies::agreed_policy_of(&reader, address, 0, id)
        .await
        .unwrap()
        .expect("agreed");
    assert_eq!(read.from_epoch, epoch + 1);
    assert_eq!(
        sla_contracts::ISlaPolicies::Policy::from(&read.policy),
        policy
    );
    assert_eq!(sla_contracts::policies::policy_hash(&read.policy), hash.0);

    // A new offer replaces the old for later adoptions; the adopted policy stays.
    let mut grace_only = Policy::default();
    (grace_only.graceEpochs, grace_only.graceWindowEpochs) = (1, 7);
    let newer = keccak256(grace_only.abi_encode());
    send(provider.offerProfilePolicy(profile_id, grace_only.clone())).await;
    let (current, _) = sla_contracts::policies::profile_policy_of(&reader, address, 0, profile_id)
        .await
        .unwrap()
        .expect("offered");
    assert_eq!(current, newer.0);
    let read = sla_contracts::policies::agreed_policy_of(&reader, address, 0, id)
        .await
        .unwrap()
        .expect("agreed");
    assert_eq!(
        sla_contracts::ISlaPolicies::Policy::from(&read.policy),
        policy,
        "the adopted offer, not the current one"
    );
    let later = oracle_consumer
        .requestAllocationFromProfile(profile_id)
        .call()
        .await
        .unwrap();
    send(oracle_consumer.requestAllocationFromProfile(profile_id)).await;
    match reverted(consumer.adoptProfilePolicy(later, hash)).await {
        SlaPoliciesErrors::NoSuchProfilePolicy(e) => assert_eq!(
            (e.dataUnitId, e.profileId, e.policyHash),
            (later, profile_id, hash)
        ),
        other => panic!("expected NoSuchProfilePolicy, got {other:?}"),
    }

    eprintln!("gas: offerProfilePolicy {offer_gas}, adoptProfilePolicy {adopt_gas}");
    assert!(
        offer_gas <= OFFER_GAS_BOUND,
        "offerProfilePolicy {offer_gas}"
    );
    assert!(
        adopt_gas <= ADOPT_GAS_BOUND,
        "adoptProfilePolicy {adopt_gas}"
    );
}

#[tokio::test]
async fn the_deployment_names_the_policies_contract_unless_told_not_to_deploy_it() {
    let chain = Chain::start().await;
    let policies = chain.policies_as(0);
    assert_eq!(
        policies.oracle().call().await.unwrap(),
        chain.deployment.contract
    );
    assert_eq!(policies.MAX_TIERS().call().await.unwrap(), U256::from(3));

    let anvil = anvil::spawn().expect("anvil");
    let config = DeployConfig {
        policies: false,
        ..DeployConfig::default()
    };
    let deployment = deploy(anvil.endpoint_url(), signer(&anvil, 0), &config)
        .await
        .expect("deploy");
    assert_eq!(deployment.policies, None);
    assert!(deployment.court.is_some(), "the court is deployed still");
}

/// The one `E` log that `address` emitted in `receipt`.
fn event<E: SolEvent>(receipt: &TransactionReceipt, address: alloy::primitives::Address) -> E {
    let mut events = receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == address)
        .filter_map(|l| E::decode_log_data(l.data()).ok());
    let found = events.next().expect("the event");
    assert!(events.next().is_none(), "one event");
    found
}

/// The `SlaPolicies` error that `call` reverts with, as an `eth_call`.
async fn reverted<P, D, N>(call: alloy::contract::CallBuilder<P, D, N>) -> SlaPoliciesErrors
where
    P: Provider<N>,
    D: alloy::contract::CallDecoder,
    N: alloy::network::Network,
{
    let Err(err) = call.call().await else {
        panic!("the call did not revert");
    };
    err.as_decoded_interface_error::<SlaPoliciesErrors>()
        .unwrap_or_else(|| panic!("not an SlaPolicies error: {err}"))
}

/// The oracle's epoch at the block that holds `receipt`.
async fn epoch_of(chain: &Chain, receipt: &TransactionReceipt) -> u64 {
    let number = receipt.block_number.expect("mined");
    let block = chain
        .provider_as(0)
        .get_block_by_number(number.into())
        .await
        .unwrap()
        .expect("the block");
    chain.deployment.epoch_at(block.header.timestamp)
}

async fn send<P, D, N>(call: alloy::contract::CallBuilder<P, D, N>) -> TransactionReceipt
where
    P: Provider<N>,
    D: alloy::contract::CallDecoder,
    N: alloy::network::Network<ReceiptResponse = TransactionReceipt>,
{
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt
}
