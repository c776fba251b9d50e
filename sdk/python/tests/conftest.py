import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
VECTORS_DIR = REPO / "protocol" / "test-vectors"


def load(name):
    with open(VECTORS_DIR / name) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def repo_root():
    return REPO
