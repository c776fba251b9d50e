#!/usr/bin/env python3
"""Summary of a scripts/simulate-scale.sh run: its JSON lines, per hour and extrapolated."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
units = int(sys.argv[2]) if len(sys.argv) > 2 else None
MiB, GB = 1024, 1e9
by = lambda p: [r for r in rows if r.get("phase") == p]

for m in by("meta"):
    print(f"\ncommit {m['commit']}, nproc {m['nproc']}, PostgreSQL {m['postgres']} "
          f"(shared_buffers {m['shared_buffers']}); results in {sys.argv[1]}")
for s in by("seed"):
    print(f"seed: {s['data_units']:,} allocations of {s['providers']:,} providers, "
          f"{s['rows']:,} rows in {s['seconds']:.1f} s")

hours = by("hour")
if hours:
    print(f"\n{'hour':>4} {'path':<11}{'reports':>10}{'ingest s':>9}{'rep/s':>8}{'count s':>9}"
          f"{'close s':>9}{'agg peak MiB':>13}{'agg RSS MiB':>12}{'DB GB':>8}")
    for h in hours:
        c, f = h["aggregator_count"], h["aggregator_close"]
        peak = max(c["peak_rss_kb"], f["peak_rss_kb"]) / MiB
        print(f"{h['hour']:>4} {h['ingest_path']:<11}{h['reports']:>10,}{h['ingest_s']:>9.1f}"
              f"{h['ingest_reports_per_s']:>8.0f}{c['seconds']:>9.1f}{f['seconds']:>9.1f}"
              f"{peak:>13.0f}{f['rss_after_kb'] / MiB:>12.0f}"
              f"{h['size']['database_bytes'] / GB:>8.2f}")
    for path in sorted({h["ingest_path"] for h in hours}):
        hs = [h for h in hours if h["ingest_path"] == path]
        rate = sum(h["reports"] for h in hs) / sum(h["ingest_s"] for h in hs)
        print(f"ingest via {path}: {rate:,.0f} reports/s over {len(hs)} hour(s) "
              f"({rate * hs[0]['records_per_report']:,.0f} records/s)")
    last, first = hours[-1], hours[0]
    print(f"aggregator: close {max(h['aggregator_close']['seconds'] for h in hours):.1f} s at most, "
          f"count {max(h['aggregator_count']['seconds'] for h in hours):.1f} s at most; "
          f"peak RSS {max(max(h['aggregator_count']['peak_rss_kb'], h['aggregator_close']['peak_rss_kb']) for h in hours) / MiB:.0f} MiB")
    if len(hours) > 1:
        d_reports = last["reports_total"] - first["reports_total"]
        d_bytes = last["size"]["database_bytes"] - first["size"]["database_bytes"]
        per_m = d_bytes / d_reports * 1e6
        per_hour = d_bytes / (len(hours) - 1)
        print(f"database growth: {per_m / GB:.3f} GB per million reports "
              f"({per_m / 1e6 / last['records_per_report']:.0f} bytes per record incl. its report's share), "
              f"{per_hour / GB:.2f} GB per hour = {24 * per_hour / GB:.1f} GB per day, "
              f"{30 * 24 * per_hour / 1e12:.2f} TB per 30 days at this scale")
        for t, b in last["size"]["table_bytes"].items():
            growth = (b - first["size"]["table_bytes"][t]) / d_reports * 1e6
            print(f"  {t:<18} {b / GB:>8.2f} GB now, {growth / 1e6:>8.1f} MB per million reports")

for p in by("plan"):
    print(f"\nplanning round (no chain): {p['results_planned']:,} results of epoch {p['epoch']} in "
          f"{p['batches']:,} batches of {p['max_batch']}: read verdicts {p['read_final_verdicts_s']:.1f} s, "
          f"read allocations {p['read_allocations_s']:.1f} s, order+pack+sign {p['order_pack_sign_s']:.1f} s")

for s in by("submit"):
    r = s["result"]
    gas = r["gas_per_result_at_batch"]
    print(f"\nsubmit on anvil: {r['data_units']:,} results, {r['transactions']} transactions in "
          f"{r['blocks']} blocks, close -> all confirmed {r['close_to_all_confirmed_s']:.1f} s, "
          f"{gas:,.0f} gas per result at batch {r['batch']}")
    if units:
        for g, label in ((gas, "measured"), (2500, "target")):
            total = units * g
            print(f"  {units:,} results at {g:,.0f} gas ({label}): {total / 1e9:.2f} G gas per epoch, "
                  f"{total / 30e6:,.0f} blocks of 30 M gas = {total / 30e6 * 12 / 60:,.0f} min at 12 s blocks, "
                  f"{units // r['batch']:,} transactions")
