"""The service as a real server in its own process (the benchmark's starter, shared)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package
from bench.serve_bench import run, running_service, sign_up_load  # noqa: E402

__all__ = ["ROOT", "run", "running_service", "sign_up_load"]
