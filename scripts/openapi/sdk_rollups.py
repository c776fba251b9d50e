"""The Python SDK against real roll-ups: on a running dev stack, every report a roll-up counted
has a proof that the SDK's own Merkle code verifies under the roll-up's `reports_root`, the
counted reports are exactly `report_count`, and the SDK's root of their hashes is that root. The
reports are re-verified by the SDK's strict ed25519 check too (nothing is taken from the server).

    python sdk_rollups.py STACK_URL CHAIN_ID CONTRACT
"""

import sys

from sla_oracle_sdk import (
    Client, Deployment, merkle_root, report_hash, verify_proof, verify_report,
)
from sla_oracle_sdk.client import ApiError


def main() -> None:
    client = Client(sys.argv[1])
    deployment = Deployment.parse(int(sys.argv[2]), sys.argv[3])
    overview = client._request("GET", "/v1/overview")
    checked_rollups = checked_proofs = 0
    for provider in overview["providers"]:
        view = client._request("GET", f"/v1/providers/{provider['address']}")
        for unit in view["data_units"]:
            data_unit = unit["data_unit"]
            reports, after = [], None
            while True:
                page = client._request(
                    "GET",
                    f"/v1/data-units/{data_unit}/reports?limit=1000"
                    + (f"&after={after}" if after else ""),
                )
                reports += page["reports"]
                after = page["next"]
                if after is None:
                    break
            for r in reports:
                payload, signature = bytes.fromhex(r["payload"]), bytes.fromhex(r["signature"])
                verify_report(payload, signature, deployment)
                assert report_hash(payload).hex() == r["hash"], r["hash"]
            rollups = client._request("GET", f"/v1/data-units/{data_unit}/rollups")["rollups"]
            for rollup in rollups:
                if rollup["status"] not in ("final", "submitted"):
                    continue
                counted = []
                for r in reports:
                    try:
                        answer = client.get_proof(data_unit, rollup["epoch"], r["hash"])
                    except ApiError as e:
                        assert e.status == 404, e
                        continue
                    assert answer["reports_root"] == rollup["reports_root"]
                    assert verify_proof(rollup["reports_root"], r["hash"], answer["proof"]), r["hash"]
                    counted.append(bytes.fromhex(r["hash"]))
                    checked_proofs += 1
                assert len(counted) == rollup["report_count"], (data_unit, rollup["epoch"])
                assert merkle_root(counted).hex() == rollup["reports_root"], (data_unit, rollup["epoch"])
                checked_rollups += 1
    if checked_rollups == 0:
        raise SystemExit("no final roll-up to check")
    print(f"sdk: {checked_proofs} proofs of {checked_rollups} roll-ups verified by the Python SDK; "
          "each root recomputed")


if __name__ == "__main__":
    main()
