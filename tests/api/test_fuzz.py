"""Schemathesis fuzzes every documented operation of the in-process app: no request may get a 5xx.

Gainsight is respx's fake (tests/api/fake_gainsight.py) for group lookups and the proxies, so
nothing leaves the process and every 5xx would be the service's own. The run is seeded and bounded
(examples, coverage and a few fuzzed cases per operation) to stay in CI's time budget.
"""

from __future__ import annotations

import os

import respx
import schemathesis

from gainsight_transformer.app import create_app
from gainsight_transformer.settings import Settings
from support import fake_gainsight

# A longer or different run: FUZZ_MAX_EXAMPLES=500 FUZZ_SEED=7 pytest tests/api/test_fuzz.py
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": int(os.environ.get("FUZZ_SEED", "20240531")),
        "generation": {
            "mode": "all",
            "max-examples": int(os.environ.get("FUZZ_MAX_EXAMPLES", "30")),
            "database": "none",
        },
        # The destination this service serves, so requests get past the name check.
        "parameters": {"path.destination": "gainsight"},
    }
)


APP = create_app(Settings(gainsight_connect_timeout=2.0, gainsight_read_timeout=2.0))
# The served document (test_openapi checks they are the same) without starting the app at import:
# the app's lifespan starts with the first fuzzed call.
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP


@schema.parametrize()
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as gainsight:
        gainsight.route().mock(side_effect=fake_gainsight.serve)
        response = case.call()
    assert response.status_code < 500, (
        f"{response.status_code} {response.text[:500]}\n{case.as_curl_command()}"
    )
