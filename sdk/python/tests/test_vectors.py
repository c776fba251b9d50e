"""Every vector of protocol/test-vectors/reports-v1.json and ed25519-speccheck.json."""

import pytest

from conftest import load
from sla_oracle_sdk import (
    Deployment,
    ReportError,
    decode_report,
    encode_report,
    public_key,
    report_hash,
    sign_report,
    verify_message_strict,
    verify_report,
)

REPORTS = load("reports-v1.json")
SPECCHECK = load("ed25519-speccheck.json")


def test_vector_file_is_complete():
    # The spec's count; a new vector must not slip through untested (the loop below runs all).
    assert len(REPORTS["vectors"]) == 91
    assert len(SPECCHECK["vectors"]) == 15


def deployment_of(v):
    return Deployment(int(v["deployment"]["chain_id"]), bytes.fromhex(v["deployment"]["contract"]))


@pytest.mark.parametrize("v", REPORTS["vectors"], ids=lambda v: v["name"])
def test_report_vector(v):
    payload, signature = bytes.fromhex(v["payload"]), bytes.fromhex(v["signature"])
    assert report_hash(payload).hex() == v["report_hash"]
    if v["secret_key_seed"] is not None:
        assert public_key(bytes.fromhex(v["secret_key_seed"])).hex() == v["public_key"]

    # Whenever the payload decodes, it gives exactly the vector's fields and re-encodes to the
    # same bytes (one encoding per report).
    if "report" in v:
        report = decode_report(payload)
        assert report.to_dict() == v["report"]
        assert encode_report(report) == payload
        if v["secret_key_seed"] is None:  # hand-made signatures name the payload's key
            assert report.reporter_key.hex() == v["public_key"]

    expected = v["expected"]
    if expected == "valid":
        verified = verify_report(payload, signature, deployment_of(v))
        assert verified.hash.hex() == v["report_hash"]
        # Ed25519 is deterministic: signing the decoded report again gives the same 64 bytes.
        again = sign_report(verified.report, bytes.fromhex(v["secret_key_seed"]))
        assert again.payload == payload and again.signature == signature
    else:
        with pytest.raises(ReportError) as refused:
            verify_report(payload, signature, deployment_of(v))
        assert (refused.value.rule, refused.value.field) == (expected["error"], expected["field"])
        if "report" not in v:  # refused by the format itself: the decoder names the same rule
            with pytest.raises(ReportError) as decode_refused:
                decode_report(payload)
            assert decode_refused.value.rule == expected["error"]
            assert decode_refused.value.field == expected["field"]


@pytest.mark.parametrize("v", SPECCHECK["vectors"], ids=lambda v: v["name"])
def test_speccheck_vector(v):
    key, message, signature = (bytes.fromhex(v[k]) for k in ("pub_key", "message", "signature"))
    if v["expected"] == "valid":
        verify_message_strict(key, message, signature)
    else:
        with pytest.raises(ReportError) as refused:
            verify_message_strict(key, message, signature)
        assert refused.value.rule == v["expected"]["error"]
        assert refused.value.field == v["expected"]["field"]


def test_worked_example_of_the_spec():
    # docs/report-format.md section 10, independent of the vector file.
    v = next(x for x in REPORTS["vectors"] if x["name"] == "single-download-record")
    assert v["report_hash"] == "f320c17696e43b733363ca81b2a0dc918ec78d2f1661a6414190090269c1a375"
    assert v["signature"].startswith("85725c344aed8a49")
