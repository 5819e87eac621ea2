"""docs/mapping.md is generated from the field tables: it must say what the tables say."""

from __future__ import annotations

from pathlib import Path

from gainsight_transformer.gainsight import fields
from gainsight_transformer.gainsight.mapping_page import REGENERATE, main, render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"


def test_the_checked_in_page_is_what_the_tables_generate() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), f"regenerate it: {REGENERATE}"


def test_every_field_and_exclusion_is_on_the_page() -> None:
    page = render()
    for table in (fields.PERSON_FIELDS, fields.COMPANY_FIELDS):
        for spec in table:
            row = next(line for line in page.splitlines() if line.startswith(f"| `{spec.dest}` |"))
            for path in spec.paths:
                assert f"`{path.text}`" in row, (spec.dest, path.text)
    for key in fields.IDENTIFY_EXCLUSIONS | fields.GROUP_EXCLUSIONS:
        assert f"`{key}`" in page, key


def test_a_changed_table_changes_the_page(monkeypatch) -> None:
    from gainsight_transformer.gainsight import mapping_page

    before = render()
    monkeypatch.setattr(mapping_page, "GROUP_EXCLUSIONS", fields.GROUP_EXCLUSIONS | {"brandNewKey"})
    assert render() != before and "`brandNewKey`" in render()


def test_the_generator_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "mapping.md"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()
    assert main([]) == 2
