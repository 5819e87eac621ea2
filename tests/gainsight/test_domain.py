"""The Config's `domain` is checked for every event type (docs/divergences.md, 16): a value that is
not a host name with an optional port is a 400 configuration error of each event, naming the
field and the form to write, before anything is built or called; one trailing slash is dropped."""

from __future__ import annotations

from typing import Any

import pytest

from support.gainsight_events import (
    DROP,
    config,
    failure,
    group_message,
    identify_message,
    process_one,
    track_message,
)

MESSAGES = {
    "identify": identify_message({"email": "ada@example.com"}),
    "track": track_message(),
    "group": group_message({"name": "Acme"}),
}
EXAMPLE = "acme.gainsightcloud.com"


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize(
    ("domain", "error"),
    [
        pytest.param(
            DROP,
            f"domain is missing from the destination's Config: set it to your Gainsight host name, e.g. {EXAMPLE}",
            id="missing",
        ),
        pytest.param(
            None,
            f"domain is missing from the destination's Config: set it to your Gainsight host name, e.g. {EXAMPLE}",
            id="null",
        ),
        pytest.param(
            "", f"domain must be your Gainsight host name, e.g. {EXAMPLE} (got an empty text)", id="empty"
        ),
        pytest.param(
            5, f"domain must be your Gainsight host name, e.g. {EXAMPLE} (got a number)", id="number"
        ),
        pytest.param(
            "https://acme.gainsightcloud.com",
            f"domain must be a host name without a scheme: write '{EXAMPLE}', not 'https://acme.gainsightcloud.com'",
            id="scheme",
        ),
        pytest.param(
            "acme.gainsightcloud.com/v1.0",
            f"domain must be a host name without a path: write '{EXAMPLE}', not 'acme.gainsightcloud.com/v1.0'",
            id="path",
        ),
        pytest.param(
            "user:pw@acme.gainsightcloud.com",
            f"domain must be a host name without a user or password: write '{EXAMPLE}', not '***@acme.gainsightcloud.com'",
            id="user and password",
        ),
        pytest.param(
            "https://user:pw@acme.gainsightcloud.com/x",
            f"domain must be a host name without a scheme: write '{EXAMPLE}', not 'https://***@acme.gainsightcloud.com/x'",
            id="url with a password",
        ),
        pytest.param(
            "例え.jp",
            f"domain must be a host name with an optional port: e.g. '{EXAMPLE}', not '例え.jp'",
            id="not ascii",
        ),
        pytest.param(
            " acme.gainsightcloud.com ",
            f"domain must be a host name with an optional port: e.g. '{EXAMPLE}', not ' acme.gainsightcloud.com '",
            id="spaces",
        ),
    ],
)
def test_a_domain_that_is_not_a_host_is_each_events_400(client, kind: str, domain: Any, error: str) -> None:
    answer = process_one(client, MESSAGES[kind], config(domain=domain))
    assert answer == failure(400, error, "dataValidation", "configuration")


@pytest.mark.parametrize("kind", ["identify", "track"])
def test_one_trailing_slash_is_dropped(client, kind: str) -> None:
    answer = process_one(client, MESSAGES[kind], config(domain=f"{EXAMPLE}/"))
    assert answer["statusCode"] == 200
    assert answer["output"]["endpoint"].startswith(f"https://{EXAMPLE}/v1.0/api/")


def test_other_events_of_the_request_are_not_held_back(client) -> None:
    from support.gainsight_events import element, post_processor

    bad = element(MESSAGES["identify"], config(domain="https://x.example"))
    good = element(MESSAGES["identify"], config())
    first, second = post_processor(client, [bad, good])
    assert first["statusCode"] == 400 and second["statusCode"] == 200
