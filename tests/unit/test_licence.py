"""The licence is stated once and the same everywhere: LICENSE, pyproject.toml and the README."""

from __future__ import annotations

import tomllib
from pathlib import Path

import rostra

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_text_ships_and_matches_what_the_package_says() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    assert "Version 3, 19 November 2007" in text
    # The whole text, not a summary: its last section and the how-to-apply appendix.
    assert "17. Interpretation of Sections 15 and 16." in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 600

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "AGPL-3.0-or-later"}

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    licences = readme.split("## Licences", 1)[1]
    assert "AGPL-3.0-or-later" in licences
    assert "LICENSE" in licences
    assert "the Rostra authors" in licences
    assert "code is ours" not in licences


def test_the_description_promises_only_what_exists() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # Reader funding is not built yet: neither the package nor its docstring may promise it.
    for said in (project["description"], rostra.__doc__ or ""):
        assert "moderation" in said
        assert "funding" not in said.lower()
