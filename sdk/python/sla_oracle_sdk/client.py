"""A small HTTP client of the ingest API (docs/ingest-api.md), on the standard library's urllib."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Union

from .signing import SignedReport


class ApiError(Exception):
    """An answer that is not a success: the problem+json document (RFC 9457) the API sent.

    `type` is `/problems/<rule>`; `rule` and `field` name what was refused (e.g. `sequence-gap`,
    `payload.sequence`); `problem` holds every member, such as `expected_sequence` and
    `expected_prev_hash` of a chain refusal.
    """

    def __init__(self, status: int, problem: Dict[str, Any]):
        self.status = status
        self.problem = problem
        self.type = problem.get("type")
        self.title = problem.get("title")
        self.detail = problem.get("detail")
        self.rule = problem.get("rule")
        self.field = problem.get("field")
        super().__init__(f"HTTP {status} {self.rule or self.title}: {self.detail} (field {self.field})")


def _hex(value: Union[bytes, str]) -> str:
    return value.hex() if isinstance(value, (bytes, bytearray)) else value


class Client:
    """`Client("http://127.0.0.1:8080")`; every method raises ApiError on a refusal."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data, headers = None, {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                problem = json.loads(text)
            except ValueError:
                problem = {"title": error.reason, "detail": text.decode(errors="replace")}
            raise ApiError(error.code, problem) from None
        result = json.loads(text)
        if isinstance(result, dict) and method == "POST" and path == "/v1/reports":
            result["status"] = status  # 201 newly stored, 200 an exact resend
        return result

    def post_report(self, signed: SignedReport) -> Dict[str, Any]:
        """`POST /v1/reports`; the acknowledgement `{report_hash, data_unit, sequence,
        received_at_ms}` plus `status` (201 stored, 200 resend of an accepted report)."""
        return self._request("POST", "/v1/reports", signed.to_json())

    def post_batch(self, reports: Iterable[SignedReport]) -> List[Dict[str, Any]]:
        """`POST /v1/reports/batch`; one result per report, in order: `{"status": 201|200,
        "ack": {…}}` or `{"status": 4xx, "problem": {…}}` (one bad report does not stop others)."""
        body = {"reports": [r.to_json() for r in reports]}
        return self._request("POST", "/v1/reports/batch", body)["results"]

    def get_report(self, report_hash: Union[bytes, str]) -> Dict[str, Any]:
        """`GET /v1/reports/{hash}`: payload and signature (hex, as received) and parsed fields."""
        return self._request("GET", f"/v1/reports/{_hex(report_hash)}")

    def list_reports(
        self,
        data_unit: int,
        from_ms: Optional[int] = None,
        to_ms: Optional[int] = None,
        after: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """`GET /v1/data-units/{id}/reports`: one page `{"reports": […], "next"}`; pass `next`
        as `after` for the next page (`None` on the last)."""
        query = {
            k: v
            for k, v in (("from_ms", from_ms), ("to_ms", to_ms), ("after", after), ("limit", limit))
            if v is not None
        }
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        return self._request("GET", f"/v1/data-units/{int(data_unit)}/reports{suffix}")

    def get_proof(self, data_unit: int, epoch: int, report_hash: Union[bytes, str]) -> Dict[str, Any]:
        """`GET /v1/data-units/{id}/epochs/{epoch}/proofs/{hash}`: `{reports_root, proof,
        verified, …}`; check it yourself with `merkle.verify_proof(root, hash, proof)`."""
        path = f"/v1/data-units/{int(data_unit)}/epochs/{int(epoch)}/proofs/{_hex(report_hash)}"
        return self._request("GET", path)

    def reporter_status(self, reporter_key: Union[bytes, str], data_unit: int) -> Dict[str, Any]:
        """`GET /v1/reporters/{key}/data-units/{id}`: `last_sequence`, `last_hash`, … (resume)."""
        return self._request("GET", f"/v1/reporters/{_hex(reporter_key)}/data-units/{int(data_unit)}")
