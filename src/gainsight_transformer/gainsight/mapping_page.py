"""docs/mapping.md, generated from the field tables in fields.py (a test keeps them equal).

python -m gainsight_transformer.gainsight.mapping_page docs/mapping.md
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from ..jsvalues import to_number
from ..paths import Path as PathSpec
from .fields import (
    COMPANY_FIELDS,
    COMPANY_ROOTS,
    GROUP_EXCLUSIONS,
    IDENTIFY_EXCLUSIONS,
    PERSON_FIELDS,
    PERSON_ROOTS,
    TRACK_ROOTS,
)
from .mapping import FieldTable, json_stringify_on_object

REGENERATE = ".venv/bin/python -m gainsight_transformer.gainsight.mapping_page docs/mapping.md"
CONVERSIONS: dict[object, str] = {
    None: "as is",
    to_number: "[number](#number)",
    json_stringify_on_object: "[text or JSON](#text-or-json)",
}

INTRO = """\
# How events become Gainsight requests

Generated from `src/gainsight_transformer/gainsight/fields.py` by `{regenerate}`
(`tests/gainsight/test_mapping_page.py` fails while this page and the tables differ). The
envelope around each payload is in [wire-protocol.md](wire-protocol.md#output-envelope); where
the original transformer differs, [divergences.md](divergences.md) says so.

## Message types

`message.type`, lower-cased (not trimmed), picks the mapping: `identify`, `group` or `track`.
Missing or empty: 400 `Message Type is not present. Aborting message.`; another type: 400
`message type <type> not supported`; not a string: 500 (a fault, errorCategory
`transformation`).

## Destination settings

From `destination.Config`: `domain` (the host every request goes to: a host name with an optional
port, one trailing slash dropped; anything else is a 400 for every event type),
`accessKey` (identify, group; sent as `Accesskey`), `sharedSecret`, `topicName`, `tenantId` and
`contractId` (track), and the maps `personMap`, `companyMap`, `eventNameMap`, `eventVersionMap`:
arrays of `{{"from", "to"}}` rows, where a row with an empty `from` is skipped, a later row wins,
and a `null` row is a 400 configuration error.

## Reading values

- A path such as `context.traits.email` walks nested objects; a key that literally contains the
  dots (`{{"a.b": 1}}`) answers too. A value that is not an object ends the walk: missing.
- A field read from several paths takes the first **present** value: truthy (JS rules), or
  exactly `false`, or exactly `0`. `""`, `null` and missing are skipped. A field read from one
  path takes its value as it is.
- A mapped value is written when, after its conversion, it is truthy, `0` or `false`: `""`,
  `null` and NaN are left out.

### Number

JS `Number(v)`: numbers stay, `true`/`false` are 1/0, strings are trimmed and read as JS reads
them (`""` → 0, `" 42 "` → 42, `"0x10"` → 16, `"1e3"` → 1000, `"Infinity"` → Infinity, `"abc"` →
NaN), an array reads as its comma-joined text (`[]` → 0, `["7"]` → 7, `[1,2]` → NaN), an object
is NaN. Infinity is written and comes out as JSON `null`; integers above 2^53 stay exact.

### Text or JSON

A string stays; anything else becomes its compact JSON text with JS rules (`5` → `"5"`, `true`
→ `"true"`, `{{"b":1,"a":2}}` → `"{{\\"b\\":1,\\"a\\":2}}"`, array-index keys first in numeric
order).

## Custom fields

Every key of the custom-field roots that is not excluded (below) is written into the payload
too, root by root, so a later root wins on a key both have. Keys `__proto__`, `constructor` and
`prototype` are never written. A dotted key is expanded into nested objects and arrays (`"a.b":
1` → `{{"a": {{"b": 1}}}}`, `"a.0": 3` → `{{"a": [3]}}`; a backslash escapes a dot; a key with `/` is
not split), within the bounds of [divergences.md](divergences.md) (10). A custom key equal to a
mapped field's name overwrites that field (exclusions are case-sensitive).

identify and group then keep, of the custom keys, only those listed in the destination's map
(`personMap`, `companyMap`: rows `{{"from": <custom key>, "to": <Gainsight field>}}`), written
under their `to` name; the mapped fields always stay. Without a map no custom key is kept. At the
top level, keys whose value is `null` are then removed. track keeps every custom key and removes
nothing.

## identify

`PUT https://<domain>/v1.0/api/people`, headers `Accesskey` and `Content-Type:
application/json`. Needs `accessKey` (else 400 `accessKey is required for identify`,
configuration) and an email (else 400 `email is required for identify`). Custom-field roots:
{person_roots}. When `Name` ends up empty it is made of FirstName, MiddleName and LastName.

{person_table}

Not custom fields for identify: {identify_exclusions}.

## group

Needs `accessKey` (400 `accessKey is required for group`, configuration), a company name
(`traits.name`; 400 `company name is required for group`) and the user's email
(`context.traits.email`; 400 `user email is required for group`). The company is searched by
name in Gainsight's Company object (`POST /v1/data/objects/query/Company`), then created (`POST
/v1/data/objects/Company`) or updated (`PUT /v1/data/objects/Company?keys=Name`) with the payload
below, and the event's answer is the person update `PUT /v1.0/api/people` with `{{"Email":
<email>, "companies": [{{"Company_ID": <the company's Gsid>}}]}}`. Custom-field roots:
{company_roots}.

{company_table}

Not custom fields for group: {group_exclusions}.

## track

`POST https://<domain>/v1.0/api/eventManager/event`. Needs the event name (400 `event name is
required for track`), `sharedSecret`, `topicName` and `tenantId` (400 `<key> is required for
track`, configuration), and rows for the event in `eventNameMap` and `eventVersionMap` (looked
up by the event's exact text; else 400 `Event name mapping not provided for <event>`). Headers:
`sharedSecret`, `topicName`, `tenantId`, `Content-Type: application/json`, `eventName` and
`eventVersion` from the maps, `contractId` (the first `context.externalId` of type
`gainsightEventContractId`, else `Config.contractId`) and `Accesskey` when set; every header value
is text. The body is the custom fields of {track_roots}, nothing else.
"""


def _paths(paths: Iterable[PathSpec]) -> str:
    return ", ".join(f"`{text}`" for text in dict.fromkeys(path.text for path in paths))


def _table(table: FieldTable) -> str:
    rows = ["| Gainsight field | read from (first present) | conversion |", "|---|---|---|"]
    for spec in table:
        rows.append(f"| `{spec.dest}` | {_paths(spec.paths)} | {CONVERSIONS[spec.convert]} |")
    return "\n".join(rows)


def _keys(keys: frozenset[str]) -> str:
    return ", ".join(f"`{key}`" for key in sorted(keys, key=lambda key: (key.lower(), key)))


def render() -> str:
    return INTRO.format(
        regenerate=REGENERATE,
        person_roots=_paths(PERSON_ROOTS),
        company_roots=_paths(COMPANY_ROOTS),
        track_roots=_paths(TRACK_ROOTS),
        person_table=_table(PERSON_FIELDS),
        company_table=_table(COMPANY_FIELDS),
        identify_exclusions=_keys(IDENTIFY_EXCLUSIONS),
        group_exclusions=_keys(GROUP_EXCLUSIONS),
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: {REGENERATE}", file=sys.stderr)
        return 2
    Path(args[0]).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
