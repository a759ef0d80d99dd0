"""A server loads the moderation models before serving only when one of its sites moderates.

Each check runs in a fresh interpreter, so what was loaded is what ``warm_up`` loaded (the
models are cached per process, and this worker may hold them already).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from rostra.domain.models import Site
from rostra.domain.site_settings import SiteSettings
from rostra.moderation import moderator
from rostra.moderation.classifier import linear
from rostra.moderation.phases import language
from rostra.moderation.state import MemoryState

given = json.loads(sys.argv[1])
sites = None if given is None else [
    Site(id=n, slug=f"s{n}", name="S", allowed_origins=(), settings=SiteSettings.from_mapping(s))
    for n, s in enumerate(given)
]
pipeline = moderator.PipelineModerator(MemoryState(), address_key=b"k" * 32)
loaded = pipeline.warm_up(sites)
print(json.dumps([loaded, linear._DEFAULT is not None, language._DEFAULT is not None]))
"""

OFF = {"moderation": {"enabled": False}}


def warm_up_in_a_fresh_process(sites: list[dict[str, object]] | None) -> list[bool]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(sites)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: list[bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_no_site_moderates_so_no_model_is_loaded() -> None:
    assert warm_up_in_a_fresh_process([OFF, OFF]) == [False, False, False]
    assert warm_up_in_a_fresh_process([]) == [False, False, False]


@pytest.mark.slow
def test_one_site_that_moderates_loads_both_models() -> None:
    # The default settings moderate; a site beside one that does not is enough.
    assert warm_up_in_a_fresh_process([OFF, {}]) == [True, True, True]


@pytest.mark.slow
def test_sites_that_could_not_be_read_load_both_models() -> None:
    # The database was down at startup: the server still serves (its /healthz says so) and
    # loads the models as if a site moderated.
    assert warm_up_in_a_fresh_process(None) == [True, True, True]
