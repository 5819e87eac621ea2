"""Dynamic config templates `{{ path || "default" }}` (CONTRACT §1.6 step 3, issue decisions).

The router echoes the resolved destination, which shows the resolved value with its JSON type;
the delivery output shows that later steps use the resolved config and that a consumed message
field is no longer a custom field.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from support.wire import (
    ROUTES,
    destination,
    identify,
    metadata,
    post_processor,
    post_router,
)

KEY_MAP = [{"from": "key", "to": "key__gc"}]


def run_router(
    client,
    config: dict[str, Any],
    message: dict[str, Any],
    meta: dict[str, Any] | None = None,
    **dest_extra: Any,
):
    dest = {**destination(personMap=KEY_MAP, **config), **dest_extra}
    sent = {"message": message, "metadata": meta or metadata(1), "destination": dest}
    [output] = post_router(client, [copy.deepcopy(sent)]).json()["output"]
    assert output["statusCode"] == 200, output
    return output, sent


def run_processor(
    client, config: dict[str, Any], message: dict[str, Any], **dest_extra: Any
) -> dict[str, Any]:
    dest = {**destination(personMap=KEY_MAP, **config), **dest_extra}
    [answer] = post_processor(
        client, [{"message": message, "metadata": metadata(1), "destination": dest}]
    ).json()
    assert answer["statusCode"] == 200, answer
    return answer


# (template, traits, resolved value)
RESOLUTION = [
    pytest.param('{{ event.traits.key || "d" }}', {"key": "v"}, "v", id="present string"),
    pytest.param('{{ event.traits.key || "d" }}', {}, "d", id="missing -> default"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": None}, "d", id="null -> default"),
    pytest.param(
        '{{ event.traits.key || "a"b"c" }}',
        {},
        "abc",
        id="default loses every double quote",
    ),
    pytest.param("{{ event.traits.key || 'q' }}", {}, "'q'", id="single quotes kept"),
    pytest.param(
        '{{ event.traits.key || "  spaced  " }}',
        {},
        "spaced",
        id="default trimmed after quote removal",
    ),
    pytest.param('{{ event.traits.key || "x" || "y" }}', {}, "x || y", id="split at the first ||"),
    pytest.param("{{ event.traits.key || }}", {}, "", id="empty default"),
    pytest.param(
        "{{ event.traits.key || plain words }}",
        {},
        "plain words",
        id="unquoted default",
    ),
    pytest.param('{{event.traits.key||"d"}}', {"key": "v"}, "v", id="no inner spaces"),
    pytest.param(
        '  \t{{ event.traits.key || "d" }}\n ',
        {"key": "v"},
        "v",
        id="outer whitespace trimmed",
    ),
    pytest.param(
        '\u00a0{{ event.traits.key || "d" }}\ufeff',
        {"key": "v"},
        "v",
        id="JS whitespace trimmed",
    ),
    pytest.param('{{ event.traits.key || "d" }}', {"key": 5}, 5, id="number keeps its type"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": 2.5}, 2.5, id="float keeps its type"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": True}, True, id="true keeps its type"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": False}, False, id="false is a value"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": 0}, 0, id="zero is a value"),
    pytest.param('{{ event.traits.key || "d" }}', {"key": ""}, "", id="empty string is a value"),
    pytest.param(
        '{{ event.traits.key || "d" }}',
        {"key": [1, "a"]},
        [1, "a"],
        id="array keeps its type",
    ),
    pytest.param(
        '{{ event.traits.key || "d" }}',
        {"key": {"a": {"b": 1}}},
        {"a": {"b": 1}},
        id="object keeps its type",
    ),
    pytest.param(
        '{{ event.traits.key_2 || "d" }}',
        {"key_2": "v"},
        "v",
        id="underscore and digit",
    ),
    pytest.param(
        '{{ event.traits._k || "d" }}',
        {"_k": "v"},
        "v",
        id="leading underscore segment",
    ),
]


@pytest.mark.parametrize(("template", "traits", "resolved"), RESOLUTION)
def test_template_resolution(client, template, traits, resolved):
    output, _ = run_router(client, {"custom": template}, identify(**traits))
    value = output["destination"]["Config"]["custom"]
    assert value == resolved
    assert type(value) is type(resolved)


NOT_TEMPLATES = [
    pytest.param("{{ event.traits.key }}", id="no ||"),
    pytest.param('x {{ event.traits.key || "d" }}', id="text before"),
    pytest.param('{{ event.traits.key || "d" }} x', id="text after"),
    pytest.param('{ event.traits.key || "d" }', id="single braces"),
    pytest.param('{{ event.traits.key || "d" }', id="unclosed"),
    pytest.param('{{ event.traits.ké || "d" }}', id="non-ASCII letter in path"),
    pytest.param('{{ event.traits.k\u0661 || "d" }}', id="non-ASCII digit in path"),
    pytest.param('{{ event.traits.\uff4b || "d" }}', id="fullwidth letter in path"),
    pytest.param('{{ event.traits.1key || "d" }}', id="segment starting with a digit"),
    pytest.param('{{ event.traits.a-b || "d" }}', id="dash in path"),
    pytest.param('{{ event.traits..key || "d" }}', id="empty segment"),
    pytest.param('{{ event.traits.key. || "d" }}', id="trailing dot"),
    pytest.param('{{ event traits || "d" }}', id="space in path"),
    pytest.param('{{ || "d" }}', id="empty path"),
    pytest.param("{{}}", id="empty braces"),
    pytest.param("{{ a || b", id="no closing braces"),
]


@pytest.mark.parametrize("template", NOT_TEMPLATES)
def test_strings_that_are_not_templates_are_left_unchanged(client, template):
    output, _ = run_router(client, {"custom": template}, identify(key="v"))
    assert output["destination"]["Config"]["custom"] == template
    # Nothing was consumed: the key is still a (mapped) custom field.
    assert output["batchedRequest"]["body"]["JSON"]["key__gc"] == "v"


@pytest.mark.parametrize("route", ROUTES)
def test_resolved_field_is_consumed_and_no_longer_a_custom_field(client, route):
    config = {"accessKey": '{{ event.traits.key || "fallback" }}'}
    message = identify(key="secret-key", other="kept")
    if route == "router":
        output, _ = run_router(client, config, message)
        wire = output["batchedRequest"]
    else:
        wire = run_processor(client, config, message)["output"]
    assert wire["headers"]["Accesskey"] == "secret-key"
    assert wire["body"]["JSON"] == {"Email": "a@b.c", "Name": ""}


def test_default_does_not_consume_anything(client):
    output, _ = run_router(
        client,
        {"accessKey": '{{ event.traits.absent || "fallback" }}'},
        identify(key="v"),
    )
    assert output["batchedRequest"]["headers"]["Accesskey"] == "fallback"
    assert output["batchedRequest"]["body"]["JSON"]["key__gc"] == "v"


def test_nested_message_path_is_consumed_from_context_traits(client):
    message = identify()
    message["context"] = {"traits": {"key": "ctx-value", "stay": 1}}
    output, _ = run_router(client, {"domain": '{{ event.context.traits.key || "fallback" }}'}, message)
    assert output["batchedRequest"]["endpoint"] == "https://ctx-value/v1.0/api/people"
    assert "key__gc" not in output["batchedRequest"]["body"]["JSON"]


def test_literal_dotted_key_is_resolved(client):
    message = identify()
    message["a.b"] = "dotted"
    output, _ = run_router(client, {"custom": '{{ event.a.b || "d" }}'}, message)
    assert output["destination"]["Config"]["custom"] == "dotted"


def test_a_value_consumed_by_one_template_is_gone_for_the_next(client):
    config = {
        "first": '{{ event.traits.key || "d1" }}',
        "second": '{{ event.traits.key || "d2" }}',
    }
    output, _ = run_router(client, config, identify(key="v"))
    assert output["destination"]["Config"]["first"] == "v"
    assert output["destination"]["Config"]["second"] == "d2"


@pytest.mark.parametrize(
    ("template", "resolved"),
    [
        pytest.param('{{ metadata.sourceId || "d" }}', "src-1", id="metadata.sourceId"),
        pytest.param('{{ metadata.jobId || "d" }}', 1, id="metadata.jobId keeps its type"),
        pytest.param('{{ destination.ID || "d" }}', "dest-1", id="destination.ID"),
        pytest.param(
            '{{ destination.DestinationDefinition.Name || "d" }}',
            "GAINSIGHT",
            id="nested destination path",
        ),
        pytest.param('{{ metadata.nothing || "d" }}', "d", id="missing metadata path"),
        pytest.param('{{ message.traits.key || "d" }}', "v", id="message.* path"),
        pytest.param('{{ event || "d" }}', "d", id="bare 'event' is an element path"),
    ],
)
def test_non_event_paths_resolve_against_the_whole_element(client, template, resolved):
    output, sent = run_router(client, {"custom": template}, identify(key="v"))
    assert output["destination"]["Config"]["custom"] == resolved
    # Metadata and destination are echoed to rudder-server: never consumed.
    assert output["metadata"] == [sent["metadata"]]
    assert output["destination"]["ID"] == sent["destination"]["ID"]
    assert output["destination"]["DestinationDefinition"] == sent["destination"]["DestinationDefinition"]


def test_message_path_without_event_prefix_consumes_from_the_message(client):
    output, _ = run_router(client, {"custom": '{{ message.traits.key || "d" }}'}, identify(key="v"))
    assert "key__gc" not in output["batchedRequest"]["body"]["JSON"]


def test_metadata_template_leaves_processor_metadata_untouched(client):
    config = {
        "domain": '{{ metadata.sourceId || "x" }}',
        "accessKey": '{{ metadata.messageId || "x" }}',
    }
    answer = run_processor(client, config, identify())
    assert answer["metadata"] == metadata(1)
    assert answer["output"]["endpoint"] == "https://src-1/v1.0/api/people"
    assert answer["output"]["headers"]["Accesskey"] == "msg-1"


@pytest.mark.parametrize("route", ROUTES)
def test_has_dynamic_config_false_skips_resolution(client, route):
    template = '{{ event.traits.key || "fallback" }}'
    config = {"custom": template}
    if route == "router":
        output, _ = run_router(client, config, identify(key="v"), hasDynamicConfig=False)
        assert output["destination"]["Config"]["custom"] == template
        wire = output["batchedRequest"]
    else:
        wire = run_processor(client, config, identify(key="v"), hasDynamicConfig=False)["output"]
    assert wire["body"]["JSON"]["key__gc"] == "v"


@pytest.mark.parametrize("flag", [True, None, "false", 0], ids=["true", "null", "string false", "zero"])
def test_only_has_dynamic_config_exactly_false_skips(client, flag):
    output, _ = run_router(
        client,
        {"custom": '{{ event.traits.key || "d" }}'},
        identify(key="v"),
        hasDynamicConfig=flag,
    )
    assert output["destination"]["Config"]["custom"] == "v"


def test_templates_nested_in_arrays_and_objects_are_resolved(client):
    config = {
        "personMap": [{"from": '{{ event.traits.which || "car" }}', "to": "vehicle__gc"}],
        "deep": {"list": [[{"x": '{{ event.traits.key || "d" }}'}]], "n": 1},
    }
    message = identify(which="bike", bike="BMX", key=7)
    sent = {
        "message": message,
        "metadata": metadata(1),
        "destination": destination(**config),
    }
    [output] = post_router(client, [sent]).json()["output"]
    assert output["destination"]["Config"]["personMap"] == [{"from": "bike", "to": "vehicle__gc"}]
    assert output["destination"]["Config"]["deep"] == {"list": [[{"x": 7}]], "n": 1}
    assert output["batchedRequest"]["body"]["JSON"] == {
        "Email": "a@b.c",
        "vehicle__gc": "BMX",
        "Name": "",
    }


def test_router_echoes_the_resolved_destination_and_leaves_other_keys_alone(client):
    output, sent = run_router(
        client, {"accessKey": '{{ event.traits.key || "d" }}'}, identify(key="resolved")
    )
    expected = copy.deepcopy(sent["destination"])
    expected["Config"]["accessKey"] = "resolved"
    assert output["destination"] == expected


def test_router_groups_by_the_resolved_config(client):
    dest = destination(accessKey='{{ event.traits.key || "d" }}')
    events = [
        {
            "message": identify(key="k1"),
            "metadata": metadata(1),
            "destination": copy.deepcopy(dest),
        },
        {
            "message": identify(key="k2"),
            "metadata": metadata(2),
            "destination": copy.deepcopy(dest),
        },
        {
            "message": identify(key="k1"),
            "metadata": metadata(3),
            "destination": copy.deepcopy(dest),
        },
    ]
    outputs = post_router(client, events).json()["output"]
    assert [o["metadata"][0]["jobId"] for o in outputs] == [1, 3, 2]
    assert [o["batchedRequest"]["headers"]["Accesskey"] for o in outputs] == [
        "k1",
        "k1",
        "k2",
    ]


def test_template_with_a_failing_event_still_reports_the_event_error(client):
    dest = destination(accessKey='{{ event.traits.key || "" }}')
    [answer] = post_processor(
        client, [{"message": identify(), "metadata": metadata(1), "destination": dest}]
    ).json()
    # The default is empty: identify then fails on its configuration check, not a crash.
    assert answer["statusCode"] == 400
    assert answer["error"] == "accessKey is required for identify"
