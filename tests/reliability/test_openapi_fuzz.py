"""schemathesis against the running API (gunicorn): over 1,000 generated requests, valid and
invalid, to every operation of /api/openapi.json -- none is a 500, every response is one the
document declares (status code, content type, JSON schema, headers)."""

from __future__ import annotations

import warnings

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from livedata.bus import Bus
from livedata.connections import redis_client
from livedata.settings import Settings
from services.tos.sample import write_sample

EXAMPLES = 120
"""Per operation and generation mode (8 operations, valid and invalid data)."""


@pytest.fixture
def api(redis_url, start_api, tmp_path):
    workbooks = tmp_path / "workbooks"
    workbooks.mkdir()
    write_sample(workbooks / "CleanData.xlsm")
    bus = Bus(redis_client(Settings.from_env({"REDIS_URL": redis_url})))
    bus.publish_quotes([{"symbol": s, "last": 1.0} for s in ("ES", "NQ", "YM")], source="test")
    bus.publish_account("positions", "acct-hash", {"positions": []})
    bus.publish_account("balances", "acct-hash", {"cash": 1.0})
    bus.close()
    _, base = start_api(redis_url, TOS_WORKBOOK_DIR=str(workbooks), TOS_WORKBOOK="CleanData.xlsm")
    return base


def fuzz(operation, mode: GenerationMode, base: str, session: requests.Session) -> int:
    """Run EXAMPLES generated cases of one operation; the number of requests sent."""
    sent = [0]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        # An event stream is read up to its first event (max-stream-events), or for half a
        # second when none comes (a resume with nothing missed), never to its end.
        timeout = 0.5 if operation.path.endswith("/stream/") else 5
        response = case.call(base_url=base, session=session, timeout=timeout)
        sent[0] += 1
        # Every default check (no 5xx; status code, content type, headers and body as
        # documented; invalid input refused; valid input accepted) -- except that a workbook
        # range's limits (cells, order, inside the sheet) are not expressible in JSON Schema.
        excluded = [positive_data_acceptance] if "/tos/" in operation.path else []
        case.validate_response(response, excluded_checks=excluded)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis' notes on modes it cannot satisfy
        try:
            check()
        except Unsatisfiable:
            # Nothing of an operation without parameters can be made invalid.
            assert mode == GenerationMode.NEGATIVE and not operation.definition.raw.get(
                "parameters"
            ), operation.label
    return sent[0]


@pytest.mark.reliability(
    "Generated requests (schemathesis) against `/api/openapi.json`",
    "> 1,000 valid and invalid requests to every operation of the running gunicorn API",
    (
        "no 5xx; status codes, content types, headers, JSON bodies and SSE events as "
        "documented; invalid input refused; valid input accepted (workbook ranges aside)"
    ),
)
@pytest.mark.slow
def test_a_thousand_generated_requests_are_all_answered_as_documented(api):
    config = SchemathesisConfig.from_dict({"max-stream-events": 1})
    schema = schemathesis.openapi.from_url(f"{api}/api/openapi.json", config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    sent: dict[str, int] = {}
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                key = f"{operation.label} {mode.value}"
                sent[key] = fuzz(operation, mode, api, session)
    assert sum(sent.values()) >= 1000, sent
    assert all(sent[f"{op.label} positive"] > 0 for op in operations), sent
