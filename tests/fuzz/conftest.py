"""Hypothesis profiles for the fuzz tests, and the `fuzz` marker.

"default" is short and derandomized, so `make test` is fast and gives the same verdict on
every run; "long" (10,000 examples per source, random) is what `make fuzz` runs:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -q -m fuzz
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

_SLOW_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "default",
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_INPUTS,
)
settings.register_profile(
    "long",
    max_examples=10_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_INPUTS,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config: pytest.Config) -> None:
    # Until pyproject.toml registers it: `-m fuzz` selects these tests, `--strict-markers` passes.
    config.addinivalue_line("markers", "fuzz: property-based fuzzing (HYPOTHESIS_PROFILE=long for 10,000)")
