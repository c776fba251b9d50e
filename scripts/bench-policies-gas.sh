#!/usr/bin/env bash
# Gas of the policy calls (docs/policy.md, contracts/GAS.md): the forge gas reports of two tests that make
# the common path once each. Figures are transaction gas, the 21,000 base and the calldata included.
# Deterministic: run it once.
#
# `PoliciesGasTest`: a first proposal of the example policy (10 tiers) and of a full one (18 tiers), a
# replacement by the other party, two agreements. proposePolicy min = the replacement, median = the
# example's first proposal, max = the full policy's.
#
# `PoliciesRulesGasTest` (its own run): a first proposal of a full policy with four metric rules (every
# word of the policy used) and its agreement.
#
# `ProfilePoliciesGasTest` (its own run too: its setUp publishes two profiles, makes two allocations from
# the first and proposes on one): a first offer of the example policy and of a full one on two profiles, a
# replacement of the first, two adoptions. offerProfilePolicy min = the replacement, median = the example's
# first offer, max = the full policy's; adoptProfilePolicy min = over a pending proposal, max = with
# nothing proposed.
#
# `MaintenanceGasTest` (its own run, so that the proposals and agreements of its setUp stay out of the
# figures above): a data unit's first maintenance window, its second (same period), one window for a list
# of three data units, the cancellation of the latest window. announceMaintenance min = the second window,
# median = the first, max = the list of three.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../contracts"

# Prints the SlaPolicies section's header and the rows of the functions matching $2 from the gas report of
# the test contract $1 (a regex: anchor it when the name is the tail of another's). awk reads the report to
# its end instead of exiting at the section's end: an early exit would kill forge with SIGPIPE, and
# `pipefail` the script with it.
report() {
  scripts/forge.sh test --match-contract "$1" --gas-report 2>/dev/null |
    awk -v fns="$2" '/SlaPolicies Contract/ {on = 1} on && ($0 ~ "Function Name" || $0 ~ fns) {print} on && /^╰/ {on = 0}'
}

report '^PoliciesGasTest$' 'proposePolicy|agreePolicy'
report '^PoliciesRulesGasTest$' 'proposePolicy'
report ProfilePoliciesGasTest 'offerProfilePolicy|adoptProfilePolicy'
report MaintenanceGasTest 'announceMaintenance|cancelMaintenance'
