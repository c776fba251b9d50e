#!/usr/bin/env bash
# Gas of the policy calls (docs/policy.md, contracts/GAS.md): the forge gas reports of two tests that make
# the common path once each. Figures are transaction gas, the 21,000 base and the calldata included.
# Deterministic: run it once.
#
# `PoliciesGasTest`: a first proposal of the example policy (10 tiers) and of a full one (18 tiers), a
# replacement by the other party, two agreements. proposePolicy min = the replacement, median = the
# example's first proposal, max = the full policy's.
#
# `MaintenanceGasTest` (its own run, so that the proposals and agreements of its setUp stay out of the
# figures above): a data unit's first maintenance window, its second (same period), one window for a list
# of three data units, the cancellation of the latest window. announceMaintenance min = the second window,
# median = the first, max = the list of three.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../contracts"

# Prints the SlaPolicies section's header and the rows of the functions matching $2 from the gas report of
# the test contract $1.
report() {
  scripts/forge.sh test --match-contract "$1" --gas-report 2>/dev/null |
    awk -v fns="$2" '/SlaPolicies Contract/ {on = 1} on && ($0 ~ "Function Name" || $0 ~ fns) {print} on && /^╰/ {exit}'
}

report PoliciesGasTest 'proposePolicy|agreePolicy'
report MaintenanceGasTest 'announceMaintenance|cancelMaintenance'
