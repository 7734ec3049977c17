"""Rendering benchmark: where one issue's time goes, and mjml-python against Node's `mjml`.

    python -m bench.render_bench [--issues 200]

Every stage of one issue's build is timed in process on corpus issues (median per issue);
the MJML of one issue is compiled N times by mjml-python here and by the reference Node
`mjml` package in one Node process (bench/node/mjml_render.js). Then a serial build is
profiled with pyinstrument and its time summed by library: the hot spots.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.build import build
from newsletter.config import load_config
from newsletter.defaults import SAMPLE_RECIPIENT
from newsletter.outputs.email import compile_mjml, email_html, inline_css, render_mjml
from newsletter.outputs.feeds import feed_entry
from newsletter.outputs.mime import sample_message
from newsletter.outputs.plaintext import render_text
from newsletter.outputs.site import render_issue_page
from newsletter.sources.markdown import read_issue

from .corpus import write_all

HERE = Path(__file__).parent
NODE_SCRIPT = HERE / "node" / "mjml_render.js"


@dataclass
class RenderResult:
    stages_ms: dict[str, float] = field(default_factory=dict)  # median per issue
    email_slow_way_ms: float = 0.0  # mjml-python then css-inline, per issue (not a stage of a build)
    mjml_python_ms: float = 0.0
    mjml_node_ms: float | None = None
    node_note: str = ""
    mjml_bytes: int = 0
    profile_by_library: list[tuple[str, float]] = field(default_factory=list)  # (library, share)
    profile_functions: list[tuple[str, float]] = field(default_factory=list)  # (function, share)
    profile_seconds: float = 0.0
    profile_issues: int = 0
    profiler: str = ""


def _time(func: Callable[[], Any], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) * 1000 / repeat


def stages(root: Path, n: int) -> tuple[dict[str, float], float]:
    """Median milliseconds per issue of each stage, over `n` corpus issues; and of the email's
    slow way (mjml-python, then css-inline), which a build takes when its frame cannot be used."""
    config = load_config(root)
    site, templates = config.site, config.templates_dir
    times: dict[str, list[float]] = defaultdict(list)
    slow: list[float] = []
    for path in sorted((root / "issues").glob("*.md"))[:n]:
        box: dict[str, Any] = {}
        times["read + parse (YAML, markdown-it, sanitize)"].append(
            _time(lambda: box.update(issue=read_issue(path)))  # noqa: B023
        )
        issue = box["issue"]
        times["web page (Jinja2)"].append(_time(lambda: render_issue_page(site, issue, templates)))  # noqa: B023
        times["email: MJML from Jinja2"].append(
            _time(lambda: box.update(mjml=render_mjml(site, issue, templates)))  # noqa: B023
        )
        times["email: written into its frame (mjml-python and css-inline once a frame)"].append(
            _time(lambda: box.update(html=email_html(box["mjml"])))  # noqa: B023
        )
        slow.append(_time(lambda: box.update(slow=inline_css(compile_mjml(box["mjml"])))))  # noqa: B023
        assert box["html"] == box["slow"]
        times["text part (model HTML → wrapped text)"].append(
            _time(lambda: box.update(text=render_text(site, issue, templates)))  # noqa: B023
        )

        def message() -> bytes:
            return sample_message(
                config,
                issue,  # noqa: B023
                box["html"],  # noqa: B023
                box["text"],  # noqa: B023
                to_address=SAMPLE_RECIPIENT,
                unsubscribe_url="https://example.org/unsubscribe/sample",
            )

        times["the message as `check` and `send` make it (outputs/mime.py)"].append(_time(message))
        times["feed entry (article HTML for the feeds)"].append(
            _time(lambda: feed_entry(site, issue, templates))  # noqa: B023
        )
    return {stage: statistics.median(values) for stage, values in times.items()}, statistics.median(slow)


def mjml_comparison(root: Path, renders: int) -> tuple[float, float | None, str, int]:
    """(mjml-python ms/render, Node mjml ms/render or None, note, MJML bytes) on one issue."""
    config = load_config(root)
    issue = read_issue(sorted((root / "issues").glob("*.md"))[0])
    mjml = render_mjml(config.site, issue, config.templates_dir)
    for _ in range(20):
        compile_mjml(mjml)
    samples = [_time(lambda: compile_mjml(mjml)) for _ in range(renders)]
    python_ms = statistics.median(samples)
    node = shutil.which("node")
    if node is None or not (HERE.parent / "node_modules" / "mjml").exists():
        return python_ms, None, "Node or node_modules/mjml missing (run npm ci)", len(mjml.encode())
    source = root / "issue.mjml"
    source.write_text(mjml, encoding="utf-8")
    out = subprocess.run(
        [node, str(NODE_SCRIPT), str(source), str(renders)], capture_output=True, text=True, check=True
    )
    node_ms = float(json.loads(out.stdout)["ms_per_render"])
    version = json.loads((HERE.parent / "node_modules" / "mjml" / "package.json").read_text())["version"]
    return (
        python_ms,
        node_ms,
        f"Node {subprocess.getoutput(node + ' --version')}, mjml {version}",
        len(mjml.encode()),
    )


def _library(path: str) -> str:
    """The library a source file belongs to: the folder after site-packages, or the stdlib module."""
    parts = Path(path).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "newsletter" in parts:
        return "newsletter (" + "/".join(parts[parts.index("newsletter") + 1 :]) + ")"
    if path.startswith("<"):
        return "builtins"
    return "stdlib " + Path(path).stem if "lib/python" in path else path


def profile(root: Path) -> tuple[list[tuple[str, float]], list[tuple[str, float]], float, str]:
    """A serial full build under pyinstrument: self time by library and by function."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return [], [], 0.0, "pyinstrument not installed"
    profiler = Profiler(interval=0.001)
    profiler.start()
    build(load_config(root), root / "profiled", use_cache=False, jobs=1)
    session = profiler.stop()
    by_library: dict[str, float] = defaultdict(float)
    by_function: dict[str, float] = defaultdict(float)
    frame = session.root_frame()
    stack = [frame] if frame else []
    while stack:
        f = stack.pop()
        stack.extend(f.children)
        own = f.time - sum(c.time for c in f.children)  # exact, however self time is represented
        if own <= 1e-9:
            continue
        # "[self]" and built-in calls (str.translate, re.sub) count for the code that called them.
        named, where = f, f
        while where.parent is not None and (not where.file_path or where.file_path.startswith("<")):
            where = where.parent
        while named.parent is not None and named.function == "[self]":
            named = named.parent
        library = _library(where.file_path or "<built-in>")
        by_library[library] += own
        by_function[f"{named.function} ({library})"] += own
    total = session.duration
    top = sorted(by_library.items(), key=lambda kv: -kv[1])[:14]
    funcs = sorted(by_function.items(), key=lambda kv: -kv[1])[:12]
    version = __import__("importlib.metadata").metadata.version("pyinstrument")
    return (
        [(k, v / total) for k, v in top],
        [(k, v / total) for k, v in funcs],
        total,
        f"pyinstrument {version}",
    )


def main(argv: list[str] | None = None) -> RenderResult:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--issues", type=int, default=200, help="issues timed per stage")
    ap.add_argument("--renders", type=int, default=300, help="MJML compilations per engine")
    ap.add_argument("--profile-issues", type=int, default=1000)
    args = ap.parse_args(argv)
    result = RenderResult()
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        root = write_all(max(args.issues, args.profile_issues), Path(tmp))["newsletter"]
        print("stages …", flush=True)
        result.stages_ms, result.email_slow_way_ms = stages(root, args.issues)
        print("mjml …", flush=True)
        python_ms, node_ms, note, size = mjml_comparison(root, args.renders)
        result.mjml_python_ms, result.mjml_node_ms, result.node_note, result.mjml_bytes = (
            python_ms,
            node_ms,
            note,
            size,
        )
        print("profile …", flush=True)
        for extra in sorted((root / "issues").glob("*.md"))[args.profile_issues :]:
            extra.unlink()
        libs, funcs, seconds, profiler = profile(root)
        result.profile_by_library, result.profile_functions = libs, funcs
        result.profile_seconds, result.profiler = seconds, profiler
        result.profile_issues = args.profile_issues
    return result


if __name__ == "__main__":
    r = main(sys.argv[1:])
    print(json.dumps(r.__dict__, indent=1, default=str))
