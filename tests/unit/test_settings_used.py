"""Every global setting is read by the code: a setting documented but read nowhere is a lie."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import rostra
from rostra.config import Settings

SOURCE = Path(rostra.__file__).parent


def test_every_setting_is_read_somewhere() -> None:
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for path in SOURCE.rglob("*.py")
        if path.name != "config.py" and "migrations" not in path.parts
    )
    config = (SOURCE / "config.py").read_text(encoding="utf-8")
    # A field read only inside config.py counts when a property there derives from it.
    derived = "".join(re.findall(r"@property\n    def \w+\(self\)[^@]*", config))
    unread = [
        f.name
        for f in dataclasses.fields(Settings)
        if not re.search(rf"\.{f.name}\b", code) and f"self.{f.name}" not in derived
    ]
    assert unread == []
