"""No module of Rostra's passes 600 lines: past that, a module holds more than one job."""

from __future__ import annotations

from pathlib import Path

import rostra

SOURCE = Path(rostra.__file__).parent
MAX_LINES = 600


def test_every_module_is_under_the_size_limit() -> None:
    modules = sorted(SOURCE.rglob("*.py"))
    assert len(modules) > 50  # the package itself, not an empty directory
    too_long = {
        str(path.relative_to(SOURCE)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
