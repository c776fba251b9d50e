#!/usr/bin/env bash
# Gas of the court's calls (docs/court.md, docs/performance.md): the forge gas report of the
# court's unit tests, which call every function on the paths that matter (a commit, a first and
# a later reveal of a case, a flag of two data units, decisions of each verdict, a slash of up
# to 8 data units). Figures are transaction gas, the 21,000 base included, min/avg/median/max
# over the calls the tests make. Deterministic: run it once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../contracts"
scripts/forge.sh test --match-path 'test/unit/Court.t.sol' --gas-report 2>/dev/null |
  awk '/SlaCourt Contract/ {on = 1} on && /Function Name|attachRebuttal|commitVote|revealVote|flagProvider|decide / {print} on && /^╰/ {exit}'
