"""Reads a running stack's API and writes the schemathesis configuration that points its path
parameters at data that exists there (a data unit, its provider, a reporter key, a report and an
epoch whose roll-up counted it), so that the generated requests reach the code behind the 404s.

    python seed_params.py BASE_URL OUT_TOML
"""

import json
import sys
import urllib.request


def get(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


def main() -> None:
    base, out = sys.argv[1], sys.argv[2]
    overview = get(base, "/v1/overview")
    # The provider that paid penalties: its data unit has violations, the richest answers.
    providers = sorted(overview["providers"], key=lambda p: int(p["penalties_paid_wei"]))
    if not providers:
        raise SystemExit(f"no provider in {base}/v1/overview")
    provider = providers[-1]["address"]
    units = get(base, f"/v1/providers/{provider}")["data_units"]
    if not units:
        raise SystemExit(f"provider {provider} has no data unit")
    unit = units[0]["data_unit"]
    reports = get(base, f"/v1/data-units/{unit}/reports?limit=1000")["reports"]
    rollups = get(base, f"/v1/data-units/{unit}/rollups")["rollups"]
    counted = None
    for rollup in rollups:
        for report in reports:
            try:
                get(base, f"/v1/data-units/{unit}/epochs/{rollup['epoch']}/proofs/{report['hash']}")
            except urllib.error.HTTPError:
                continue
            counted = (rollup["epoch"], report)
            break
        if counted:
            break
    if counted is None:
        raise SystemExit("no report with a proof: the stack has not rolled up an epoch yet")
    epoch, report = counted
    params = {
        "path.id": unit,
        "path.address": provider,
        "path.key": report["reporter_key"],
        "path.hash": report["hash"],
        "path.epoch": epoch,
        "query.epoch": epoch,
    }
    with open(out, "w") as f:
        f.write("# Written by scripts/openapi/seed_params.py for one run; not committed.\n")
        f.write("[parameters]\n")
        for name, value in params.items():
            f.write(f"{json.dumps(name)} = {json.dumps(value)}\n")
    print(json.dumps(params))


if __name__ == "__main__":
    main()
