"""Drives every operation of the API to every status its OpenAPI document lists, and checks each
answer's body against the documented schema of that status and media type.

    python statuses.py STACK_URL [SCHEMATHESIS_HAR]

STACK_URL is a running dev stack (the data a dashboard view needs comes from a real chain);
the statuses schemathesis reached there (its HAR file) count too. The report and signed-request
statuses are driven here on a server of our own whose chain mirror is seeded with the RFC 8032
keys (sdk/python/tests/ingest_server.py), as the Python SDK's end-to-end tests do. A status that
no request can bring about on demand is named in UNREACHABLE with where it is tested instead;
any other documented status that was not reached fails the run.
"""

import json
import pathlib
import re
import socket
import sys
import time
import urllib.error
import urllib.request

import jsonschema_rs
import nacl.signing

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "sdk" / "python" / "tests"))

from ingest_server import (  # noqa: E402
    CHAIN_ID, CONSUMER_SEED, CONTRACT, DATA_UNIT, PROVIDER, PROVIDER_SEED, IngestServer,
)
from sla_oracle_sdk import Deployment, Record, Report, public_key, sign_report  # noqa: E402

# Statuses no request can bring about on demand, and where each is tested instead.
UNREACHABLE = {
    500: "a bug or an impossible configuration (the dashboard's `internal`)",
    503: "load shedding and a failing database: ingest-api/tests/it/limits.rs and isolation.rs "
         "(the dashboard's `not-indexed-yet` is reached below)",
    408: "the whole-request timeout: ingest-api/tests/it/limits.rs and connections.rs "
         "(`body-too-slow` is reached below on the report routes)",
}


class Api:
    def __init__(self, base: str, doc: dict):
        self.base, self.doc, self.reached, self.failures = base, doc, set(), []
        self.templates = []
        for path, item in doc["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
            self.templates.append((re.compile(regex), path))

    def template(self, path: str):
        for regex, template in self.templates:
            if regex.match(path):
                return template
        return None

    def call(self, method, path, expect, body=None, content_type="application/json", base=None):
        """Sends the request, checks the status and the body's schema, records what it reached."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request((base or self.base) + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, media, text = r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            status, media, text = e.code, e.headers.get("Content-Type", ""), e.read()
        self.check(method, path, expect, status, media, text)
        return status, text

    def check(self, method, path, expect, status, media, text):
        template = self.template(path.split("?")[0])
        label = f"{method} {template}"
        if status != expect:
            self.failures.append(f"{label}: expected {expect}, got {status}: {text[:300]!r}")
            return
        self.reached.add((method.lower(), template, status))
        operation = self.doc["paths"][template][method.lower()]
        response = operation["responses"].get(str(status))
        if response is None:
            self.failures.append(f"{label}: {status} is not documented")
            return
        content = response.get("content", {})
        media_type = media.split(";")[0].strip()
        documented = {m.split(";")[0].strip(): c for m, c in content.items()}
        if media_type not in documented:
            self.failures.append(f"{label} {status}: media type {media!r} not in {list(documented)}")
            return
        if media_type.endswith("json"):
            schema = dict(documented[media_type]["schema"], components=self.doc["components"])
            errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(json.loads(text))]
            if errors:
                self.failures.append(f"{label} {status}: body does not match its schema: {errors[:3]}")


def signed_request(tag: str, fields: dict, seed: bytes, owner: str, nonce: str) -> dict:
    message = dict(fields, chain_id=CHAIN_ID, contract=CONTRACT, owner=owner,
                   issued_at_ms=int(time.time() * 1000), nonce=nonce)
    text = tag + "\n" + json.dumps(message)
    key = nacl.signing.SigningKey(seed)
    return {"message": text, "signature": key.sign(text.encode()).signature.hex(),
            "reporter_key": bytes(key.verify_key).hex()}


def tampered(body: dict, old: str, new: str, seed: bytes) -> dict:
    """`body` with `old` replaced by `new` in its message, signed again: a valid signature over
    a message that names something else."""
    message = body["message"].replace(old, new)
    signature = nacl.signing.SigningKey(seed).sign(message.encode()).signature.hex()
    return dict(body, message=message, signature=signature)


def slow_body(base: str, path: str) -> int:
    """Sends the headers and two bytes of a larger body, then nothing: the server must answer
    408 `body-too-slow` once its grace period is over."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: 100000\r\n\r\n{{}}".encode())
        answer = s.recv(65536).decode(errors="replace")
    return int(answer.split()[1])


def drive_reports(api: Api, own: str) -> None:
    deployment = Deployment.parse(CHAIN_ID, CONTRACT)
    t = int(time.time() * 1000)
    key = public_key(PROVIDER_SEED)

    def report(seq, prev, start, end, **kw):
        fields = dict(chain_id=CHAIN_ID, contract=deployment.contract, role="provider",
                      reporter_key=key, data_unit=DATA_UNIT, sequence=seq, prev_hash=prev,
                      period_start_ms=start, period_end_ms=end,
                      records=[Record(end - 1000, "read", latency_us=1500, bytes=10)])
        fields.update(kw)
        return sign_report(Report(**fields), PROVIDER_SEED)

    first = report(1, bytes(32), t - 120_000, t - 60_000)
    api.call("POST", "/v1/reports", 201, first.to_json(), base=own)
    api.call("POST", "/v1/reports", 200, first.to_json(), base=own)
    api.call("POST", "/v1/reports", 400, {"payload": "zz", "signature": ""}, base=own)
    api.call("POST", "/v1/reports", 409, report(5, first.hash, t - 50_000, t - 40_000).to_json(), base=own)
    api.call("POST", "/v1/reports", 422, report(1, bytes(32), t - 60_000, t, data_unit=DATA_UNIT + 1000).to_json(), base=own)
    stranger = nacl.signing.SigningKey(bytes(range(32)))
    other = Report(CHAIN_ID, deployment.contract, "provider", bytes(stranger.verify_key), DATA_UNIT,
                   1, bytes(32), t - 60_000, t)
    api.call("POST", "/v1/reports", 403, sign_report(other, bytes(range(32))).to_json(), base=own)
    api.call("POST", "/v1/reports", 413, b"{" + b" " * (9 << 20) + b"}", base=own)
    api.call("POST", "/v1/reports", 415, b"x", content_type="text/plain", base=own)
    second = report(2, first.hash, t - 60_000, t - 30_000)
    api.call("POST", "/v1/reports", 201, second.payload + second.signature,
             content_type="application/octet-stream", base=own)
    status = slow_body(own, "/v1/reports")
    if status == 408:
        api.reached.add(("post", "/v1/reports", 408))
    else:
        api.failures.append(f"POST /v1/reports: a stalled body got {status}, not 408")

    api.call("POST", "/v1/reports/batch", 200, {"reports": [second.to_json()]}, base=own)
    api.call("POST", "/v1/reports/batch", 400, {"reports": 1}, base=own)
    api.call("POST", "/v1/reports/batch", 413, {"reports": [second.to_json()] * 5000}, base=own)
    api.call("POST", "/v1/reports/batch", 415, b"x", content_type="text/plain", base=own)
    status = slow_body(own, "/v1/reports/batch")
    if status == 408:
        api.reached.add(("post", "/v1/reports/batch", 408))

    # Reads on our server: a report that exists, and 404s.
    h = first.hash.hex()
    api.call("GET", f"/v1/reports/{h}", 200, base=own)
    api.call("GET", f"/v1/reports/{'0' * 64}", 404, base=own)
    api.call("GET", "/v1/reports/xyz", 400, base=own)
    api.call("GET", "/v1/reports?after=0&limit=2", 200, base=own)
    api.call("GET", "/v1/reports?after=-1", 400, base=own)
    api.call("GET", f"/v1/reporters/{key.hex()}/data-units/{DATA_UNIT}", 200, base=own)
    api.call("GET", f"/v1/reporters/{'0' * 64}/data-units/{DATA_UNIT}", 404, base=own)
    api.call("GET", f"/v1/reporters/xyz/data-units/{DATA_UNIT}", 400, base=own)
    api.call("GET", f"/v1/reporters/xyz/data-units/{DATA_UNIT}/equivocations", 400, base=own)
    api.call("GET", f"/v1/data-units/{DATA_UNIT}/epochs/0/proofs/{h}", 404, base=own)
    api.call("GET", f"/v1/data-units/{DATA_UNIT}/epochs/0/proofs/xyz", 400, base=own)
    api.call("GET", f"/v1/data-units/x/uncounted", 400, base=own)
    api.call("GET", f"/v1/data-units/{DATA_UNIT}/window?epoch=1&epochs=1", 404, base=own)


def drive_signed(api: Api, own: str) -> None:
    tag_m, tag_s = "SLA-ORACLE/MAINTENANCE-WINDOW/v1", "SLA-ORACLE/ALERT-SUBSCRIPTION/v1"
    t = int(time.time() * 1000)
    window = dict(action="create", provider=PROVIDER, data_unit=DATA_UNIT,
                  from_ms=t + 3_600_000, until_ms=t + 7_200_000, reason="disk swap")
    body = signed_request(tag_m, window, PROVIDER_SEED, PROVIDER, "nonce-window-1")
    status, text = api.call("POST", "/v1/maintenance-windows", 201, body, base=own)
    window_id = json.loads(text)["id"] if status == 201 else 1
    api.call("POST", "/v1/maintenance-windows", 409, body, base=own)
    api.call("POST", "/v1/maintenance-windows", 400, {"message": 1}, base=own)
    api.call("POST", "/v1/maintenance-windows", 401, {"message": body["message"]}, base=own)
    api.call("POST", "/v1/maintenance-windows", 403,
             signed_request(tag_m, dict(window, provider="0x" + "ab" * 20), PROVIDER_SEED,
                            PROVIDER, "nonce-window-2"), base=own)
    wrong = tampered(signed_request(tag_m, window, PROVIDER_SEED, PROVIDER, "nonce-window-3"),
                     f'"chain_id": {CHAIN_ID}', '"chain_id": 1', PROVIDER_SEED)
    api.call("POST", "/v1/maintenance-windows", 422, wrong, base=own)
    api.call("POST", "/v1/maintenance-windows", 413, b"{" + b" " * 20_000 + b"}", base=own)
    api.call("GET", f"/v1/maintenance-windows?provider={PROVIDER}", 200, base=own)
    api.call("GET", "/v1/maintenance-windows?provider=x", 400, base=own)
    cancel = dict(action="cancel", id=window_id)
    consumer = "0x00000000000000000000000000000000000000c1"
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 403,
             signed_request(tag_m, cancel, CONSUMER_SEED, consumer, "nonce-cancel-0"), base=own)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 200,
             signed_request(tag_m, cancel, PROVIDER_SEED, PROVIDER, "nonce-cancel-1"), base=own)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 404,
             signed_request(tag_m, cancel, PROVIDER_SEED, PROVIDER, "nonce-cancel-2"), base=own)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 400, {"message": 1}, base=own)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 401, {"message": "x"}, base=own)
    # A nonce already taken, on a window that exists: 409.
    other = signed_request(tag_m, dict(window, from_ms=t + 9_000_000, until_ms=t + 9_900_000),
                           PROVIDER_SEED, PROVIDER, "nonce-window-4")
    _, text = api.call("POST", "/v1/maintenance-windows", 201, other, base=own)
    other_id = json.loads(text).get("id", 0)
    again = signed_request(tag_m, dict(action="cancel", id=other_id), PROVIDER_SEED, PROVIDER,
                           "nonce-cancel-1")
    api.call("DELETE", f"/v1/maintenance-windows/{other_id}", 409, again, base=own)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 413, b"{" + b" " * 20_000 + b"}", base=own)
    wrong = tampered(signed_request(tag_m, cancel, PROVIDER_SEED, PROVIDER, "nonce-cancel-3"),
                     CONTRACT, "0x" + "11" * 20, PROVIDER_SEED)
    api.call("DELETE", f"/v1/maintenance-windows/{window_id}", 422, wrong, base=own)

    sub = dict(action="create", channel="telegram", target="12345", secret="123456:" + "a" * 30,
               rules=["violation", "late"], data_units=[DATA_UNIT])
    body = signed_request(tag_s, sub, PROVIDER_SEED, PROVIDER, "nonce-sub-1")
    status, text = api.call("POST", "/v1/alert-subscriptions", 201, body, base=own)
    sub_id = json.loads(text)["id"] if status == 201 else 1
    api.call("POST", "/v1/alert-subscriptions", 409, body, base=own)
    api.call("POST", "/v1/alert-subscriptions", 400, {"message": 1}, base=own)
    api.call("POST", "/v1/alert-subscriptions", 401, {"message": body["message"]}, base=own)
    api.call("POST", "/v1/alert-subscriptions", 403,
             signed_request(tag_s, dict(sub, data_units=None, providers=["0x" + "ab" * 20]),
                            PROVIDER_SEED, PROVIDER, "nonce-sub-2"), base=own)
    api.call("POST", "/v1/alert-subscriptions", 422,
             signed_request(tag_s, dict(sub, data_units=[DATA_UNIT + 1000]), PROVIDER_SEED,
                            PROVIDER, "nonce-sub-3"), base=own)
    api.call("POST", "/v1/alert-subscriptions", 413, b"{" + b" " * 20_000 + b"}", base=own)
    api.call("GET", f"/v1/alert-subscriptions?owner={PROVIDER}", 200, base=own)
    api.call("GET", "/v1/alert-subscriptions?owner=x", 400, base=own)
    delete = dict(action="delete", id=sub_id)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 403,
             signed_request(tag_s, delete, CONSUMER_SEED, consumer, "nonce-del-0"), base=own)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 200,
             signed_request(tag_s, delete, PROVIDER_SEED, PROVIDER, "nonce-del-1"), base=own)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 404,
             signed_request(tag_s, delete, PROVIDER_SEED, PROVIDER, "nonce-del-2"), base=own)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 400, {"message": 1}, base=own)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 401, {"message": "x"}, base=own)
    _, text = api.call("POST", "/v1/alert-subscriptions", 201,
                       signed_request(tag_s, sub, PROVIDER_SEED, PROVIDER, "nonce-sub-4"), base=own)
    other_id = json.loads(text).get("id", 0)
    api.call("DELETE", f"/v1/alert-subscriptions/{other_id}", 409,
             signed_request(tag_s, dict(action="delete", id=other_id), PROVIDER_SEED, PROVIDER,
                            "nonce-del-1"), base=own)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 413, b"{" + b" " * 20_000 + b"}", base=own)
    wrong = tampered(signed_request(tag_s, delete, PROVIDER_SEED, PROVIDER, "nonce-del-3"),
                     CONTRACT, "0x" + "11" * 20, PROVIDER_SEED)
    api.call("DELETE", f"/v1/alert-subscriptions/{sub_id}", 422, wrong, base=own)


def drive_views(api: Api, own: str) -> None:
    """On the stack: 404s; on our own server (no chain configuration mirrored): 503."""
    unknown = "0x" + "ab" * 20
    for path in ["/v1/providers/{a}", "/v1/providers/{a}/results", "/v1/providers/{a}/compliance"]:
        api.call("GET", path.format(a=unknown), 404)
    for path in ["", "/results", "/forecast", "/metrics", "/compliance"]:
        api.call("GET", f"/v1/data-units/99999{path}", 404)
    api.call("GET", "/v1/providers/x", 400)
    api.call("GET", "/v1/data-units/x/forecast", 400)
    api.call("GET", "/v1/overview", 503, base=own)
    api.call("GET", f"/v1/data-units/{DATA_UNIT}", 503, base=own)


def main() -> None:
    stack = sys.argv[1]
    with urllib.request.urlopen(stack + "/openapi.json", timeout=30) as r:
        doc = json.load(r)
    api = Api(stack, doc)
    if len(sys.argv) > 2:
        for e in json.load(open(sys.argv[2]))["log"]["entries"]:
            path = "/" + e["request"]["url"].split("/", 3)[3]
            template = api.template(path.split("?")[0])
            method = e["request"]["method"].lower()
            if template and method in doc["paths"][template]:
                api.reached.add((method, template, e["response"]["status"]))
    server = IngestServer().start()
    try:
        drive_reports(api, server.url)
        drive_signed(api, server.url)
        drive_views(api, server.url)
    finally:
        server.stop()
    documented = {(m, p, int(s)) for p, item in doc["paths"].items() for m, op in item.items()
                  if m in ("get", "post", "delete") for s in op["responses"]}
    missing = sorted(d for d in documented - api.reached if d[2] not in UNREACHABLE)
    left = documented - api.reached - set(missing)
    print(f"statuses: {len(documented & api.reached)} of {len(documented)} documented (operation, "
          f"status) pairs reached; {len(left)} not reached, each a status left to other tests:")
    for status, why in UNREACHABLE.items():
        print(f"  {status}: {why}")
    for m in missing:
        api.failures.append(f"{m[0].upper()} {m[1]}: documented status {m[2]} never reached")
    if api.failures:
        print("\n".join(api.failures), file=sys.stderr)
        raise SystemExit(f"{len(api.failures)} failures")


if __name__ == "__main__":
    main()
