"""The pipeline: deterministic, complete, atomic."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from conftest import DATA, ROOT, run_alone, tree_digest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter import build as build_module
from newsletter.atomic import prune_tree
from newsletter.build import build
from newsletter.config import load_config
from newsletter.errors import NewsletterError

FRENCH = DATA / "issues" / "2025-10-02-ouzbekistan-eau.md"
SAMPLES = sorted((ROOT / "issues").glob("*.md"))

MakeNewsletter = Callable[[Iterable[Path]], Path]


def test_build_writes_every_output(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH, *SAMPLES])
    result = build(load_config(root), root / "public")
    out = root / "public"
    for name in ("feed.atom", "feed.rss", "feed.json", "index.html"):
        assert (out / name).stat().st_size > 0
    for issue in result.issues:
        folder = out / "issues" / issue.slug
        for name in ("index.html", "email.html", "email.txt", "issue.json"):
            assert (folder / name).stat().st_size > 0
        # a sample message is no page for the web: `check` makes it from the built email
        assert sorted(p.name for p in folder.iterdir()) == [
            "email.html",
            "email.txt",
            "index.html",
            "issue.json",
        ]
    assert len(result.issues) == 1 + len(SAMPLES)


def test_rebuild_is_byte_identical_and_timestamp_free(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH, *SAMPLES])
    config = load_config(root)
    build(config, root / "a")
    build(config, root / "b")
    first, second = tree_digest(root / "a"), tree_digest(root / "b")
    assert first == second
    today = dt.date.today()
    stamps = (today.isoformat(), today.strftime("%a, %d %b %Y"))
    for path in (root / "a").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(s in text for s in stamps), f"{path} contains the build date"


def test_a_second_build_in_one_process_reads_the_templates_as_they_are_then(
    make_newsletter: MakeNewsletter,
) -> None:
    # `newsletter preview` builds again in its process when a template or a label is edited.
    root = make_newsletter([FRENCH])
    config = load_config(root)
    build(config, root / "public")
    templates = root / "templates"
    for name, old, new in [
        ("site/base.html", "</body>", "<p>page edited</p></body>"),
        ("email/_footer.mjml", 'align="center">', 'align="center">email edited '),
        ("labels.toml", '"Voir dans le navigateur"', '"Voir la page"'),
    ]:
        path = templates / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    build(config, root / "public")
    folder = root / "public" / "issues" / "ouzbekistan-eau"
    assert "page edited" in (folder / "index.html").read_text(encoding="utf-8")
    assert "email edited" in (folder / "email.html").read_text(encoding="utf-8")
    assert "Voir la page" in (folder / "email.txt").read_text(encoding="utf-8")


def test_failed_build_leaves_previous_output_untouched(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH])
    config = load_config(root)
    build(config, root / "public")
    before = tree_digest(root / "public")
    shutil.copy(DATA / "bad-issues" / "2025-01-01-invalid-date.md", root / "issues")
    with pytest.raises(NewsletterError, match=r"invalid-date\.md"):
        build(config, root / "public")
    assert tree_digest(root / "public") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


def test_failure_while_writing_cleans_up(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_newsletter([FRENCH])
    config = load_config(root)
    build(config, root / "public")
    before = tree_digest(root / "public")

    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("newsletter.outputs.feeds.feed_documents", explode)
    with pytest.raises(RuntimeError):
        build(config, root / "public")
    assert tree_digest(root / "public") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


def test_reused_output_folder_is_pruned_and_served_files_never_change(
    make_newsletter: MakeNewsletter,
) -> None:
    root = make_newsletter([FRENCH, *SAMPLES])
    config = load_config(root)
    out = root / "public"
    build(config, out)
    build(config, out)  # the first output is now the cache's spare, reused by the next build
    (out / "stray.txt").write_text("not from the build", encoding="utf-8")
    (out / "issues" / "gone-issue").mkdir()
    (out / "issues" / "gone-issue" / "index.html").write_text("old", encoding="utf-8")
    page = next((out / "issues").glob("*/email.html"))
    served = root / "served-email.html"
    served.hardlink_to(page)  # what a reader holds open while the next builds run
    before = served.read_bytes()
    (root / "issues" / SAMPLES[0].name).unlink()  # an issue removed: its folder must go too
    for _ in range(3):
        build(config, out)
    build(config, root / "reference", use_cache=False, jobs=1)
    assert tree_digest(out) == tree_digest(root / "reference")
    assert not (out / "stray.txt").exists() and not (out / "issues" / "gone-issue").exists()
    assert served.read_bytes() == before


def test_a_reused_folder_s_files_are_looked_up_relative_to_it_and_no_descriptor_stays_open(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_newsletter(SAMPLES)
    config = load_config(root)
    out = root / "public"
    build(config, out)
    build(config, out)  # the first output is now the cache's spare, reused by the next build
    looked_up: list[int | None] = []
    real = build_module.match_record

    def match_record(record: object, folder: Path, folder_fd: int | None = None) -> object:
        looked_up.append(folder_fd)
        return real(record, folder, folder_fd)

    monkeypatch.setattr(build_module, "match_record", match_record)
    open_before = sorted(os.listdir("/proc/self/fd"))
    digest_before = tree_digest(out)
    build(config, out)
    assert tree_digest(out) == digest_before
    assert looked_up and all(fd is not None for fd in looked_up[: len(SAMPLES)])
    assert sorted(os.listdir("/proc/self/fd")) == open_before


def test_pruning_keeps_the_folders_of_files_not_written_yet(tmp_path: Path) -> None:
    """A reused folder is pruned while the feed documents are still being made and written: a
    folder on the way to a file kept stays, even while it is empty; the rest not kept goes."""
    (tmp_path / "archive" / "de").mkdir(parents=True)
    (tmp_path / "issues" / "gone").mkdir(parents=True)
    (tmp_path / "issues" / "gone" / "index.html").write_text("old", encoding="utf-8")
    (tmp_path / "issues" / "kept.html").write_text("kept", encoding="utf-8")
    (tmp_path / "stray.txt").write_text("stray", encoding="utf-8")
    prune_tree(tmp_path, {"issues/kept.html", "archive/de/1.atom"})
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["archive", "archive/de", "issues", "issues/kept.html"]


@pytest.mark.parametrize(
    "rel",
    [
        *(
            "issues/a/index.html",
            ".nojekyll",
            "./feed.xml",
            "de//index.html",
            "a/./b",
            "a/../b",
            "a/b/",
            "a/.b",
        ),
        *("/abs/x", "a/../../x", "../x", ".."),
    ],
)
def test_output_paths_written_and_kept_are_normalized_as_normpath_does(rel: str) -> None:
    assert build_module._normal(rel) == os.path.normpath(rel)


@pytest.mark.parametrize("rel", ["/abs/x", "..", "../x", "a/../../x", "./../x"])
def test_no_file_is_written_outside_the_output_folder(tmp_path: Path, rel: str) -> None:
    with pytest.raises(NewsletterError, match="refusing to write outside the output folder"):
        build_module._target(tmp_path, rel)


def test_a_path_inside_the_output_folder_is_written_where_it_names(tmp_path: Path) -> None:
    assert build_module._target(tmp_path, "issues/a/./index.html") == str(tmp_path / "issues/a/index.html")
    assert build_module._target(tmp_path, "feed.atom") == str(tmp_path / "feed.atom")


@pytest.mark.skipif(sys.platform != "linux", reason="elsewhere every file is made anew (no write leases)")
def test_full_rebuild_writes_into_reused_files_but_never_one_held_open(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild writes into the files of the output folder it reuses (making a file costs far
    more than writing one), except a file a reader still holds open since it was served."""
    root = make_newsletter([FRENCH, *SAMPLES])
    config = load_config(root)
    out = root / "public"
    for _ in range(2):
        build(config, out, use_cache=False, jobs=1)
    base = root / "templates" / "site" / "base.html"  # every page changes: each is written again
    base.write_text(
        base.read_text(encoding="utf-8").replace("</body>", "<p>edited</p></body>"), encoding="utf-8"
    )
    held = sorted((out / "issues").glob("*/index.html"))[0]
    replaced: list[str] = []
    clear = build_module._clear
    monkeypatch.setattr(build_module, "_clear", lambda target: replaced.append(str(target)) or clear(target))
    with held.open("rb") as reader:
        for _ in range(2):  # the second build reuses the folder that was served when it was opened
            build(config, out, use_cache=False, jobs=1)
        assert os.fstat(reader.fileno()).st_nlink == 0  # replaced by a new file, never written into
    rel = held.relative_to(out).as_posix()
    assert [r.endswith(rel) for r in replaced] == [True]  # only the held file was made anew
    build(config, root / "reference", use_cache=False, jobs=1)
    assert tree_digest(out) == tree_digest(root / "reference")


def test_a_rebuild_leaves_each_reused_file_that_holds_its_bytes_already(
    make_newsletter: MakeNewsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of the reused folder that holds what the build makes is read, not written: no
    page of it is made dirty for the disk to write back. Any other is written (the test above)."""
    root = make_newsletter([FRENCH, *SAMPLES])
    config = load_config(root)
    out = root / "public"
    for _ in range(2):
        build(config, out, use_cache=False, jobs=1)
    touched: list[str] = []
    for name in ("_rewritable", "_clear"):
        done = getattr(build_module, name)
        monkeypatch.setattr(
            build_module, name, lambda target, done=done: touched.append(str(target)) or done(target)
        )
    build(config, out, use_cache=False, jobs=1)  # into the folder the first build made: the same bytes
    assert touched == []
    build(config, root / "reference", use_cache=False, jobs=1)
    assert tree_digest(out) == tree_digest(root / "reference")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links as POSIX has them")
def test_a_reused_link_to_the_same_bytes_is_not_followed_but_made_a_file(
    make_newsletter: MakeNewsletter,
) -> None:
    """Only a regular file is left as it is when it holds the bytes to write: a symbolic link
    in the reused folder to the same bytes elsewhere is not followed (what it points at is left
    alone) and becomes a file."""
    root = make_newsletter([FRENCH])
    config = load_config(root)
    out = root / "public"
    build(config, out, use_cache=False)
    build(config, out, use_cache=False)  # the first output is now the spare, which the next build reuses
    spare = root / ".cache" / "newsletter" / "spare"
    page = sorted(spare.glob("issues/*/index.html"))[0]
    outside = root / "elsewhere.html"
    outside.write_bytes(page.read_bytes())
    page.unlink()
    page.symlink_to(outside)
    before = outside.stat()
    build(config, out, use_cache=False)  # renders every file, as `--no-cache` does
    written = out / page.relative_to(spare)
    assert not written.is_symlink() and written.read_bytes() == outside.read_bytes()
    assert outside.stat().st_ino == before.st_ino and outside.stat().st_mtime_ns == before.st_mtime_ns
    build(config, root / "reference", use_cache=False)
    assert tree_digest(out) == tree_digest(root / "reference")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="write leases are Linux's")
def test_a_reader_opening_a_file_being_written_in_place_waits_and_the_build_lives_on(
    tmp_path: Path,
) -> None:
    """Opening a file under a write lease signals the lease holder; by default (SIGIO) that
    would end the build. The build holds on, finishes the file, and the reader gets it whole."""
    target = tmp_path / "index.html"
    target.write_bytes(b"old")
    writer = subprocess.Popen(
        [sys.executable, "-c", LEASE_HOLDER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdin is not None
    if writer.stdout.readline().strip() != "leased":  # leases unsupported on this file system
        writer.kill()
        pytest.skip("no write lease on this file system")
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys; print(open(sys.argv[1]).read())", str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with pytest.raises(subprocess.TimeoutExpired):  # it waits for the lease to end
        reader.wait(timeout=0.5)
    writer.stdin.write("go\n")
    writer.stdin.flush()
    assert writer.wait(timeout=60) == 0
    out, _ = reader.communicate(timeout=60)
    assert out.strip() == "new content"


#: Takes a file for writing in place as a build does, waits for a word, then writes it.
LEASE_HOLDER = """
import os, sys
from newsletter.build import _rewritable
fd = _rewritable(sys.argv[1])
print("leased" if fd >= 0 else "no lease", flush=True)
if fd >= 0:
    sys.stdin.readline()
    os.write(fd, b"new content")
    os.ftruncate(fd, len(b"new content"))
    os.close(fd)
"""


def test_output_moved_aside_by_a_killed_build_is_put_back(make_newsletter: MakeNewsletter) -> None:
    root = make_newsletter([FRENCH])
    config = load_config(root)
    build(config, root / "public")
    before = tree_digest(root / "public")
    # what a build killed between its two renames leaves (where renameat2 is missing)
    (root / "public").rename(root / ".public.old-999999999")
    shutil.copy(DATA / "bad-issues" / "2025-01-01-invalid-date.md", root / "issues")
    with pytest.raises(NewsletterError):
        build(config, root / "public")
    assert tree_digest(root / "public") == before
    assert not list(root.glob(".public.old-*"))


_RUN_ALL = """
import os, sys
from newsletter.build import _Workers
from newsletter.errors import NewsletterError

def fail():
    raise NewsletterError("the index template is broken", path="templates/site/index.html")

if sys.argv[1] == "nofork":  # no process can be made: every task runs here, still in order
    import newsletter.build

    def fork(target):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    newsletter.build.fork = fork
if sys.argv[1] in ("order", "two", "nofork"):
    tasks = 2 if sys.argv[1] == "two" else 9
    results = _Workers(jobs=2).run_all([lambda i=i: f"{i} {os.getpid()}" for i in range(tasks)])
    print(*results, sep="\\n")
else:  # eight tasks on two processes: the fourth is the forked process's
    try:
        _Workers(jobs=2).run_all([*[lambda: 1] * 3, fail, *[lambda: 1] * 4])
    except NewsletterError as e:
        print(e)
"""


def _run_all(case: str) -> list[str]:
    return run_alone(_RUN_ALL, case).splitlines()  # with other tests' threads run_all does not fork


def test_tasks_run_side_by_side_in_forked_processes_and_answer_in_order() -> None:
    results = _run_all("order")
    assert [r.split()[0] for r in results] == [str(i) for i in range(9)]
    assert len({r.split()[1] for r in results}) == 2  # this process and one forked from it


def test_tasks_run_here_when_no_process_can_be_forked() -> None:
    results = _run_all("nofork")
    assert [r.split()[0] for r in results] == [str(i) for i in range(9)]
    assert {r.split()[1] for r in results} == {results[0].split()[1]}


def test_two_tasks_are_split_between_two_processes() -> None:
    """An edit makes as few as two feed pages (the site's archive page and its edition's):
    each is worth a fork, which costs less than a millisecond."""
    results = _run_all("two")
    assert [r.split()[0] for r in results] == ["0", "1"]
    assert len({r.split()[1] for r in results}) == 2


def test_a_task_failing_in_a_forked_process_raises_its_own_error_here() -> None:
    assert _run_all("fail") == ["templates/site/index.html: the index template is broken"]


# --- sharing out the documents and the pruning ------------------------------------------------


def test_tasks_alike_are_dealt_in_turn() -> None:
    assert build_module._shares(5, 2, None) == [[0, 2, 4], [1, 3]]
    assert build_module._shares(5, 2, [5.0] * 5) == [[0, 2, 4], [1, 3]]


def test_the_pruning_after_an_edit_goes_alone_beside_the_documents() -> None:
    """An edit of one of 1,000 issues: four documents to make, and the pruning of a reused
    folder keeping 4,000 files, which takes about as long as they do together."""
    weights = [build_module.DOCUMENT_MS] * 4 + [4000 * build_module.PRUNE_MS_PER_FILE]
    assert build_module._shares(5, 2, weights) == [[4], [0, 1, 2, 3]]


def test_documents_holding_an_entry_alike_go_together() -> None:
    """A site's feed pages and its edition's: each pair holding the same entries in one group
    (made by one process, their entries written once); a document sharing nothing alone."""
    site = [(f"{page}a", f"{page}b") for page in range(6)] + [()]  # and the listing
    edition = [(f"{page}a", f"{page}b") for page in range(5)] + [("5a", "x")]
    groups = build_module._together([*site, *edition], jobs=1)
    assert groups == [[0, 7], [1, 8], [2, 9], [3, 10], [4, 11], [5, 12], [6]]


def test_a_group_of_documents_stays_within_a_share_of_the_work() -> None:
    """Documents chained by the entries they share (a trilingual site's pages overlap its
    editions') are cut into groups of at most a quarter of each process's share."""
    chained = [(str(i), str(i + 1)) for i in range(40)]
    groups = build_module._together(chained, jobs=2)
    assert sorted(i for group in groups for i in group) == list(range(40))
    assert all(len(group) <= 40 // 8 for group in groups) and len(groups) == 8
    assert all(group == list(range(group[0], group[0] + len(group))) for group in groups)


@given(
    weights=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=40),
    jobs=st.integers(2, 5),
)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_every_task_is_in_one_share_and_none_is_much_heavier(weights: list[float], jobs: int) -> None:
    shares = build_module._shares(len(weights), jobs, weights)
    assert len(shares) == jobs and sorted(i for share in shares for i in share) == list(range(len(weights)))
    assert all(share == sorted(share) for share in shares)
    loads = [sum(weights[i] for i in share) for share in shares]
    assert max(loads) <= sum(weights) / jobs + max(weights) + 1e-9  # greedy, heaviest first
