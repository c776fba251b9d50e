#!/usr/bin/env bash
# Gas of the policy calls (docs/policy.md): the forge gas report of `PoliciesGasTest`, which makes
# the common path once each: a first proposal of the example policy (10 tiers) and of a full one
# (18 tiers), a replacement by the other party, two agreements. Figures are transaction gas, the
# 21,000 base and the calldata included; proposePolicy min = the replacement, median = the example's
# first proposal, max = the full policy's. Deterministic: run it once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../contracts"
scripts/forge.sh test --match-contract PoliciesGasTest --gas-report 2>/dev/null |
  awk '/SlaPolicies Contract/ {on = 1} on && /Deployment|Function Name|proposePolicy|agreePolicy/ {print} on && /^╰/ {exit}'
