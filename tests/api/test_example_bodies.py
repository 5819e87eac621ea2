"""examples/bodies/*.json are written from the OpenAPI examples' values (openapi/bodies.py): the
files and the documentation cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from gainsight_transformer.openapi import bodies

FILES = Path(__file__).resolve().parents[2] / "examples" / "bodies"


@pytest.mark.parametrize("name", sorted(bodies.BODIES))
def test_the_file_is_what_the_examples_write(name: str) -> None:
    assert (FILES / f"{name}.json").read_text(encoding="utf-8") == bodies.render(name), bodies.REGENERATE


def test_every_file_comes_from_the_examples() -> None:
    assert {path.stem for path in FILES.glob("*.json")} == set(bodies.BODIES)


def test_the_writer_writes_every_file(tmp_path: Path) -> None:
    assert bodies.main([str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{name}.json" for name in bodies.BODIES
    )
    assert bodies.main([]) == 2
