"""The build cache: an incremental or parallel build gives the very bytes of a full serial one.

No timings here: the benchmarks measure speed. These tests check that the cache is never
wrong and that it does skip the work it should (counted, not timed).
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT, run_alone, tree_digest

from newsletter import build as build_module
from newsletter import cache as cache_module
from newsletter.build import MIN_PARALLEL, build
from newsletter.cache import CACHE_PATH
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.outputs import email_frame as email_frame_module
from newsletter.outputs import feeds as feeds_module
from newsletter.outputs import labels as labels_module
from newsletter.outputs import site as site_module
from newsletter.outputs import site_frame as site_frame_module
from newsletter.outputs.site_frame import is_frame
from newsletter.sources import markdown as markdown_module

sys.path.insert(0, str(ROOT))  # the corpus generator lives in bench/
from bench.corpus import corpus, newsletter_source, write_newsletter

ISSUES = 6


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A newsletter of a few corpus issues, built once so the cache is warm."""
    root = write_newsletter(corpus(ISSUES), tmp_path / "news")
    build(load_config(root), root / "public")
    return root


def full_build(root: Path, name: str = "full") -> dict[str, str]:
    """The reference: everything rendered, serially, into its own folder."""
    build(load_config(root), root / name, use_cache=False, jobs=1)
    return tree_digest(root / name)


def rebuild(root: Path) -> tuple[dict[str, str], int]:
    result = build(load_config(root), root / "public")
    return tree_digest(root / "public"), result.rendered


def issue_paths(root: Path) -> list[Path]:
    return sorted((root / "issues").glob("*.md"))


def edit(path: Path, place: str) -> None:
    """Edit an issue's body: the corpus's "Washington" becomes `place`."""
    path.write_text(path.read_text(encoding="utf-8").replace("Washington", place), encoding="utf-8")


def test_unchanged_rebuild_renders_nothing(root: Path) -> None:
    digest, rendered = rebuild(root)
    assert rendered == 0
    assert digest == full_build(root)


def test_edited_issue_is_the_only_one_rendered(root: Path) -> None:
    path = issue_paths(root)[2]
    edit(path, "Brüssel")
    digest, rendered = rebuild(root)
    assert rendered == 1
    assert digest == full_build(root)
    assert "Brüssel" in next((root / "public" / "issues").glob("*-00002/index.html")).read_text()


def test_deleted_issue_is_gone_from_output_and_feeds(root: Path) -> None:
    path = issue_paths(root)[0]
    path.unlink()
    digest, rendered = rebuild(root)
    assert rendered == 0
    assert digest == full_build(root)
    slug = path.stem[len("2000-01-03-") :]
    assert not (root / "public" / "issues" / slug).exists()
    assert slug not in (root / "public" / "feed.atom").read_text(encoding="utf-8")


def test_added_issue_is_rendered_alone(root: Path) -> None:
    extra = corpus(ISSUES + 1)[-1]
    name = f"{extra.date.date().isoformat()}-{extra.slug}.md"
    (root / "issues" / name).write_text(newsletter_source(extra), encoding="utf-8")
    digest, rendered = rebuild(root)
    assert rendered == 1
    assert digest == full_build(root)


def test_changed_template_renders_every_issue(root: Path) -> None:
    template = root / "templates" / "site" / "issue.html"
    template.write_text(template.read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8")
    digest, rendered = rebuild(root)
    assert rendered == ISSUES
    assert digest == full_build(root)


def test_changed_config_renders_every_issue(root: Path) -> None:
    toml = root / "newsletter.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("Novastan Newsletter", "Novastan Wochenbrief", 1),
        encoding="utf-8",
    )
    digest, rendered = rebuild(root)
    assert rendered == ISSUES
    assert digest == full_build(root)
    assert "Novastan Wochenbrief" in next((root / "public" / "issues").glob("*/email.html")).read_text()


def test_no_cache_renders_everything_and_rewrites_the_cache(root: Path) -> None:
    for manifest in (root / CACHE_PATH).glob("manifest-*"):
        shutil.rmtree(manifest)
    result = CliRunner().invoke(
        main,
        ["build", "--no-cache", "--out", str(root / "public"), "--config", str(root / "newsletter.toml")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert f"({ISSUES} rendered, 0 from the cache)" in result.stdout
    digest, rendered = rebuild(root)  # the cache written by --no-cache serves the next build
    assert rendered == 0
    assert digest == full_build(root)


def test_unchanged_rebuild_needs_no_parsed_entry(root: Path) -> None:
    shutil.rmtree(root / CACHE_PATH / "parsed")  # the rendered entries' summaries suffice
    result = build(load_config(root), root / "public")
    assert (result.parsed, result.rendered) == (0, 0)
    assert tree_digest(root / "public") == full_build(root)


def test_the_cache_holds_what_the_last_build_used_and_nothing_else(root: Path) -> None:
    cache = root / CACHE_PATH
    before = set(os.listdir(cache / "parsed"))
    (cache / "parsed" / "left.pickle").write_bytes(b"an entry no build uses")
    (cache / "documents" / "a-folder").mkdir()  # left by another version of the cache
    (cache / "documents" / "a-folder" / "page").write_bytes(b"")
    documents = set(os.listdir(cache / "documents"))
    edit(issue_paths(root)[2], "Genf")
    assert rebuild(root)[1] == 1
    after = set(os.listdir(cache / "parsed"))
    assert len(after) == ISSUES and len(after - before) == 1  # the edit's entry replaced its last one
    removed = documents - set(os.listdir(cache / "documents"))
    assert "a-folder" in removed and len(removed) > 1  # and the last versions of the pages made again


def test_a_build_whose_process_ends_leaves_what_it_read_to_the_end(root: Path) -> None:
    """`build(exiting=True)`, as the command builds: the records and summaries are kept for the
    process's end rather than freed as the build returns; the output is the same."""
    left = len(build_module._LEFT)
    edit(issue_paths(root)[2], "Genf")
    result = build(load_config(root), root / "public", exiting=True)
    assert result.rendered == 1 and len(build_module._LEFT) == left + 1
    manifest, records, summaries = build_module._LEFT[-1][:3]  # type: ignore[index, misc]
    assert len(manifest) == len(records) and len(summaries) == ISSUES
    assert tree_digest(root / "public") == full_build(root)
    assert len(build_module._LEFT) == left + 1  # a build not told so leaves nothing
    CliRunner().invoke(main, ["build", "--config", str(root), "--out", str(root / "public")])
    assert len(build_module._LEFT) == left + 2  # the command tells it
    del build_module._LEFT[left:]


def test_corrupted_parsed_entry_is_ignored_and_rebuilt(root: Path) -> None:
    for entry in (root / CACHE_PATH / "parsed").iterdir():
        entry.write_bytes(b"\x80\x05 not a pickle")
    for manifest in (root / CACHE_PATH).glob("manifest-*"):
        shutil.rmtree(manifest)  # so every issue is rendered, from its model
    result = build(load_config(root), root / "public")
    assert result.parsed == ISSUES
    assert tree_digest(root / "public") == full_build(root)
    assert build(load_config(root), root / "public").parsed == 0


def test_output_file_edited_in_place_is_rendered_again(root: Path) -> None:
    page = next((root / "public" / "issues").glob("*/email.html"))
    page.write_bytes(b"truncated")  # e.g. an editor saving public/…/email.html in place
    digest, rendered = rebuild(root)
    assert rendered == 1
    assert digest == full_build(root)


def test_output_file_deleted_or_replaced_is_rendered_again(root: Path) -> None:
    folders = sorted((root / "public" / "issues").iterdir())
    (folders[0] / "email.txt").unlink()
    page = folders[1] / "index.html"
    data = page.read_bytes()
    page.unlink()
    page.write_bytes(data)  # the same bytes in a new file: not the file the record names
    digest, rendered = rebuild(root)
    assert rendered == 2
    assert digest == full_build(root)


def test_with_a_reused_folder_an_output_file_edited_in_place_is_rendered_again(root: Path) -> None:
    """After two builds the reused folder shares the unchanged files with public/ (hard links):
    an edit in place changes both, and is seen in either."""
    for _ in range(2):
        rebuild(root)
    page = next((root / "public" / "issues").glob("*/email.html"))
    page.write_bytes(b"truncated")
    digest, rendered = rebuild(root)
    assert rendered == 1
    assert digest == full_build(root)


def test_with_a_reused_folder_a_deleted_output_file_is_placed_from_it(root: Path) -> None:
    """The reused folder still holds the recorded file: it is the very bytes the record names,
    so it is placed without rendering its issue again."""
    for _ in range(2):
        rebuild(root)
    folders = sorted((root / "public" / "issues").iterdir())
    (folders[0] / "email.txt").unlink()
    page = folders[1] / "index.html"
    data = page.read_bytes()
    page.unlink()
    page.write_bytes(data)  # a new file in public/: the reused folder keeps the recorded one
    digest, rendered = rebuild(root)
    assert rendered == 0
    assert digest == full_build(root)


def test_unchanged_files_are_the_same_files_build_after_build(root: Path) -> None:
    """A rebuild links the last output's files: after two builds both folders share them,
    and nothing is written at all."""
    for _ in range(2):
        rebuild(root)
    spare = root / CACHE_PATH / "spare"
    for path in (root / "public" / "issues").rglob("*.html"):
        rel = path.relative_to(root / "public")
        assert path.stat().st_ino == (spare / rel).stat().st_ino


def _paged(root: Path) -> Path:
    """`root` with feed pages of two entries (its six issues make archive pages), built twice: the
    reused folder then shares the unchanged files with public/. Its spare folder."""
    toml = root / "newsletter.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("feed_size = 50", "feed_size = 2"), encoding="utf-8")
    for _ in range(2):
        rebuild(root)
    assert len(list((root / "public" / "archive").glob("*.atom"))) >= 2
    return root / CACHE_PATH / "spare"


def _is_frame(data: bytes) -> bool:
    try:
        return is_frame(pickle.loads(data))
    except Exception:
        return False


def test_unchanged_feed_documents_are_placed_neither_read_nor_written(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spare = _paged(root)
    found: list[str] = []
    document = cache_module.BuildCache.document

    def counted(self: cache_module.BuildCache, key: str) -> bytes | None:
        data = document(self, key)
        if data is not None and not _is_frame(data):  # a listing's frame: the listings it changed
            found.append(key)
        return data

    monkeypatch.setattr(cache_module.BuildCache, "document", counted)
    newest = issue_paths(root)[-1]  # in the subscription feed, not in an archive page
    edit(newest, "Bern")
    digest, rendered = rebuild(root)
    assert rendered == 1
    assert found == []  # the archive pages were placed; the feeds it changed were made
    for page in (root / "public" / "archive").glob("*.atom"):
        assert page.stat().st_ino == (spare / "archive" / page.name).stat().st_ino
    assert digest == full_build(root)


def test_a_feed_document_edited_in_place_is_made_again(root: Path) -> None:
    _paged(root)
    page = root / "public" / "archive" / "1.atom"
    page.write_bytes(b"<feed/>")  # the reused folder holds this very file: it changed too
    digest, _ = rebuild(root)
    assert digest == full_build(root)
    assert rebuild(root)[0] == digest


def test_a_deleted_feed_document_comes_back(root: Path) -> None:
    _paged(root)
    (root / "public" / "feed.atom").unlink()
    (root / "public" / "archive" / "1.atom").unlink()
    digest, _ = rebuild(root)
    assert digest == full_build(root)


def _shards(root: Path) -> list[Path]:
    """The manifest's shards: each the records of some issues, then their feed entries' bodies."""
    return sorted(next((root / CACHE_PATH).glob("manifest-*")).glob("*.pickle"))


def _records_end(data: bytes) -> int:
    """Where a shard's records (their length, pickle and check) end and its bodies begin."""
    return cache_module._LENGTH_BYTES + int.from_bytes(data[: cache_module._LENGTH_BYTES], "little")


def test_corrupted_manifest_shard_is_ignored_and_rebuilt(root: Path) -> None:
    shards = _shards(root)
    in_shard = len(pickle.loads(cache_module._read_shard(shards[0], bodies=False)))
    data = shards[0].read_bytes()
    shards[0].write_bytes(data[: _records_end(data) - 100])  # cut short in its records
    digest, rendered = rebuild(root)
    assert rendered == in_shard
    assert digest == full_build(root)
    assert rebuild(root)[1] == 0


def test_torn_manifest_shard_is_ignored_and_rebuilt(root: Path) -> None:
    """A shard is written over its old bytes: a build killed midway leaves new bytes before old
    ones, at the same length. Its check makes it a miss, whatever the bytes say."""
    shards = _shards(root)
    data = shards[0].read_bytes()
    in_shard = len(pickle.loads(cache_module._read_shard(shards[0], bodies=False)))
    middle = (cache_module._LENGTH_BYTES + _records_end(data)) // 2  # in its records
    shards[0].write_bytes(
        data[:middle] + bytes(b ^ 1 for b in data[middle : middle + 8]) + data[middle + 8 :]
    )
    digest, rendered = rebuild(root)
    assert rendered == in_shard
    assert digest == full_build(root)


def _parts(root: Path, *, bodies: bool) -> dict[str, Any]:
    """Every shard's records (or with `bodies`, its feed entries' bodies), by key."""
    parts = (pickle.loads(cache_module._read_shard(p, bodies=bodies)) for p in _shards(root))
    return {key: value for part in parts for key, value in part.items()}


def _issue_summaries(root: Path) -> list[Any]:
    """The summaries in the manifest's issue records (not those of the feed documents)."""
    records = _parts(root, bodies=False).items()
    return [
        build_module._summary_from(data)
        for key, (_, data) in records
        if data and not key.startswith(cache_module.DOCUMENT)
    ]


def _listings_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the sources whose listing and entry are unpickled from now on, in order."""
    read: list[str] = []
    real = build_module._Summary._unpickled

    def reading(self: Any) -> Any:
        if isinstance(self._kept, bytes):
            read.append(Path(self.source_path).name)
        return real(self)

    monkeypatch.setattr(build_module._Summary, "_unpickled", reading)
    return read


def test_a_rebuild_reads_the_listings_and_entries_only_of_the_documents_it_makes(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What orders and keys an issue is read with its record; its listing and feed entry only
    for a feed page or listing that is made (or when `issues` is asked for)."""
    _paged(root)  # feed pages of two entries: the oldest two issues make archive page 1
    read = _listings_read(monkeypatch)
    config = load_config(root)
    result = build(config, root / "public", jobs=1)  # one process: every read is seen here
    assert result.rendered == 0 and result.count == ISSUES and read == []
    paths = issue_paths(root)  # named by date: the oldest first
    with paths[0].open("a", encoding="utf-8") as f:  # its body's end: its listing stays the same
        f.write("\nEin Absatz mehr.\n")
    assert build(config, root / "public", jobs=1).rendered == 1
    assert sorted(read) == sorted(p.name for p in paths[:2])  # those of archive page 1
    read.clear()
    issues = result.issues  # read when asked for, newest first
    assert [i.source_path for i in issues] == [str(p) for p in reversed(paths)]
    assert len(read) == ISSUES and result.issues is issues
    assert build_module._summary_from(b"not a record") is None
    assert build_module._summary_from(pickle.dumps(("an older format", issues[0]))) is None


def test_an_edit_to_a_listed_title_makes_the_listings_without_reading_the_others(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each issue's entry in the listings is rendered with it and kept in its record: an edit
    that changes one title makes every listing again from the kept entries, reading the
    listings only of the feed page it is on."""
    _paged(root)
    read = _listings_read(monkeypatch)
    paths = issue_paths(root)
    text = paths[0].read_text(encoding="utf-8")
    paths[0].write_text(re.sub(r'(?m)^title: "', 'title: "Neu: ', text, count=1), encoding="utf-8")
    result = build(load_config(root), root / "public", jobs=1)
    assert result.rendered == 1
    assert sorted(read) == sorted(p.name for p in paths[:2])  # archive page 1's, for its feed
    assert "Neu: " in (root / "public" / "index.html").read_text(encoding="utf-8")
    assert tree_digest(root / "public") == full_build(root)


def test_an_edits_feed_pages_are_made_from_their_last_version(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed document that holds an edited issue is made from its last version: the entries
    that did not change are taken from it, only the edited one is written. The manifest keeps
    which entries each holds, so every later edit does the same; the output is a full build's."""
    _paged(root)  # feed pages of two entries: the oldest two issues make archive page 1
    written: list[tuple[str, int]] = []  # (a document's maker, how many entries it was given)
    makers = {name: getattr(feeds_module, name) for name in ("_atom", "_rss", "_json_feed")}

    def counting(name: str) -> Callable[..., bytes]:
        def make(site: Any, items: Any, *args: Any, **kwargs: Any) -> bytes:
            written.append((name, len(items)))
            return makers[name](site, items, *args, **kwargs)

        return make

    paths = issue_paths(root)  # named by date: the oldest first
    edits = [(paths[0], "Genf"), (paths[0], "Bern"), (paths[-1], "Genf")]  # twice the oldest, the newest
    for path, place in edits:
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub("Washington|Genf", place, text), encoding="utf-8")
        written.clear()
        for name in makers:
            monkeypatch.setattr(feeds_module, name, counting(name))
        assert build(load_config(root), root / "public", jobs=1).rendered == 1
        for name, maker in makers.items():
            monkeypatch.setattr(feeds_module, name, maker)
        # the Atom page that holds it (the current feed's RSS and JSON Feed too), the site's
        # and its edition's: of their entries, the edited one
        assert written and all(n == 1 for _, n in written)
        assert {name for name, _ in written} == ({"_atom"} if path == paths[0] else set(makers))
        assert tree_digest(root / "public") == full_build(root, f"full-{len(written)}-{place}")


def test_listings_are_read_ahead_only_until_the_edit_is_rendered(root: Path) -> None:
    """While the edit renders aside, the build reads the placed issues' listings ahead, newest
    first, and stops as soon as the edit's results have come (`_read_ahead`)."""

    unread = _issue_summaries(root)
    build_module._read_ahead(unread, root / "templates", lambda: True)  # the results are there: nothing read
    assert all(isinstance(s._kept, bytes) for s in unread)
    build_module._read_ahead(unread, root / "templates", lambda: False)
    assert len(unread) == ISSUES and all(isinstance(s._kept, tuple) for s in unread)
    assert [s.listing for s in unread] == [s.listing for s in _issue_summaries(root)]


def test_a_build_reads_no_feed_entry_body_it_does_not_need(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every build reads the manifest's records; the entries' bodies after them in each shard
    are read only for a feed document that is made whole (one made from its last version needs
    none but the edited entry's, which this build made), and for a shard written again because
    the edited issue's record left it or came into it (its other issues' bodies go with it)."""
    summaries = _issue_summaries(root)
    entries = [summary.entry for summary in summaries if summary and summary.entry]
    assert len(entries) == ISSUES and all(e.apart and e.content == b"" for e in entries)
    kept = _parts(root, bodies=True)
    assert sorted(kept) == sorted(e.key for e in entries) and all(kept.values())
    read: list[str] = []  # outside the writing of the manifest
    rewritten: list[str] = []  # while the manifest is written
    real_read, real_store = cache_module.EntryBodies._read, cache_module.BuildCache.store_manifest

    def reading(self: cache_module.EntryBodies, name: str) -> dict[str, bytes]:
        (rewritten if storing else read).append(name)
        return real_read(self, name)

    def store_manifest(self: cache_module.BuildCache, *args: Any) -> Any:
        nonlocal storing
        storing = True
        try:
            return real_store(self, *args)
        finally:
            storing = False

    storing = False
    monkeypatch.setattr(cache_module.EntryBodies, "_read", reading)
    monkeypatch.setattr(cache_module.BuildCache, "store_manifest", store_manifest)
    assert rebuild(root)[1] == 0 and read == rewritten == []  # nothing made: no body read
    edit(issue_paths(root)[0], "Genf")
    digest, rendered = rebuild(root)
    assert rendered == 1 and read == [] and digest == full_build(root)  # made from the last version
    changed = set(kept) ^ set(_parts(root, bodies=True))  # the edited issue's keys, old and new
    assert len(changed) == 2 and set(rewritten) <= {cache_module._shard_name(k) for k in changed}
    edit(issue_paths(root)[1], "Genf")
    (root / "public" / "feed.atom").unlink()  # no last version: made whole
    digest, rendered = rebuild(root)
    assert rendered == 1 and read and digest == full_build(root, "full-again")


def test_lost_bodies_make_the_build_render_everything(root: Path) -> None:
    """A feed document to make needs a body the cache cannot give (its part of a shard
    damaged): the build starts again without the cache, and its output is a full build's."""
    for shard in _shards(root):
        shard.write_bytes(shard.read_bytes()[:-10])  # the bodies cut short, the records whole
    assert rebuild(root)[1] == 0  # nothing to make: nothing missed
    edit(issue_paths(root)[0], "Genf")
    (root / "public" / "feed.atom").unlink()  # no last version to make it from: made whole
    digest, rendered = rebuild(root)
    assert rendered == ISSUES and digest == full_build(root)
    assert rebuild(root)[1] == 0


def test_a_listing_that_cannot_be_read_makes_the_build_render_everything(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A placed issue's listing is read only for a document made; one that then cannot be read
    (its record whole, so the cache was damaged) makes the build start again without the cache."""
    edited = issue_paths(root)[0]
    real_from, real_build = build_module._summary_from, build_module._build
    attempts: list[bool] = []

    def damaged(data: object) -> Any:
        summary = real_from(data)
        if summary is not None and len(attempts) == 1 and summary.source_path != str(edited):
            summary._kept = b"not a pickle"
        return summary

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append(kwargs["use_cache"])
        return real_build(*args, **kwargs)

    monkeypatch.setattr(build_module, "_summary_from", damaged)
    monkeypatch.setattr(build_module, "_build", counted)
    edit(edited, "Genf")
    result = build(load_config(root), root / "public", jobs=1)
    assert attempts == [True, False] and result.rendered == ISSUES
    assert tree_digest(root / "public") == full_build(root)


def test_a_shard_keeps_its_bodies_and_a_record_without_one_is_left_out(tmp_path: Path) -> None:
    cache = cache_module.BuildCache(tmp_path / "cache")
    cache.folder.mkdir()
    out, files = tmp_path / "public", {"x": (1, 2, 3)}
    records = {
        "aa1": (files, b"s1"),
        "aa2": (files, b"s2"),
        "bb1": (files, b"s3"),
        "document:1": (files, b""),
    }
    bodies = {"aa1": b"1", "aa2": b"2", "bb1": b"3"}
    assert cache.store_manifest(out, records, {}, bodies.get) == set()
    assert cache.manifest(out) == records
    last = cache.bodies(out)
    assert (last.get("aa2"), last.get("bb1"), last.get("cc1")) == (b"2", b"3", None)
    shard = next(cache.folder.glob("manifest-*")) / "bb.pickle"
    written = shard.stat().st_mtime_ns
    grown = {**records, "aa3": (files, b"s4")}
    lost = cache.store_manifest(out, grown, records, {"aa3": b"4", "aa1": b"1"}.get)
    assert lost == {"aa2"}  # its body neither made now nor kept: that issue renders again
    assert sorted(cache.manifest(out)) == ["aa1", "aa3", "bb1", "document:1"]
    assert cache.bodies(out).get("aa3") == b"4" and shard.stat().st_mtime_ns == written


def test_an_issue_whose_body_is_lost_is_rendered_again_next_time(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cache_module.BuildCache.store_manifest

    def losing(
        self: cache_module.BuildCache,
        out: Path,
        records: dict[str, cache_module.Record],
        last: dict[str, cache_module.Record],
        bodies: Callable[[str], bytes | None],
    ) -> set[str]:
        # the edit's record: an issue's (a feed document's record holds its entries' keys)
        gone = next(
            k
            for k, r in sorted(records.items())
            if r[1] and k not in last and not k.startswith(cache_module.DOCUMENT)
        )
        return real(self, out, records, last, lambda key: None if key == gone else bodies(key))

    monkeypatch.setattr(cache_module.BuildCache, "store_manifest", losing)
    edit(issue_paths(root)[0], "Genf")
    assert rebuild(root)[1] == 1
    monkeypatch.undo()
    assert rebuild(root)[1] == 1  # the issue whose body was lost
    assert rebuild(root)[1] == 0


def test_unchanged_records_are_not_written_again(root: Path) -> None:
    parsed = {p: p.stat().st_mtime_ns for p in (root / CACHE_PATH / "parsed").iterdir()}
    build(load_config(root), root / "public", use_cache=False)
    assert {p: p.stat().st_mtime_ns for p in (root / CACHE_PATH / "parsed").iterdir()} == parsed


def test_a_rebuild_writes_only_the_manifest_shards_that_changed(root: Path) -> None:
    rebuild(root)
    shards = {p: p.stat().st_mtime_ns for p in _shards(root)}
    path = issue_paths(root)[1]
    edit(path, "Bern")
    assert rebuild(root)[1] == 1
    changed = [p for p, mtime in shards.items() if not p.exists() or p.stat().st_mtime_ns != mtime]
    # the edited issue's old record leaves one shard, its new one joins one; the feeds and the
    # listing it changed are recorded in the documents' shard
    assert 1 <= len(changed) <= 3
    assert any(p.name == "do.pickle" for p in changed)


def test_a_build_into_another_folder_keeps_this_folders_cache(root: Path) -> None:
    full_build(root, "elsewhere")
    digest, rendered = rebuild(root)
    assert rendered == 0
    assert digest == tree_digest(root / "elsewhere")


def test_parallel_build_is_byte_identical_to_serial(tmp_path: Path) -> None:
    root = write_newsletter(corpus(MIN_PARALLEL + 2), tmp_path / "news")
    config = load_config(root)
    parallel = build(config, root / "parallel", use_cache=False, jobs=2)
    assert parallel.rendered == MIN_PARALLEL + 2 and parallel.parsed == MIN_PARALLEL + 2
    assert tree_digest(root / "parallel") == full_build(root, "serial")


_BUILD_ALONE = """
import os, signal, sys
from pathlib import Path
from newsletter import build as build_module, cache as cache_module
from newsletter.config import load_config
from newsletter.errors import NewsletterError

root, pids, min_aside = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
cache_module.RACY_NS = -1  # every file counts as settled, in the processes forked too
build_module.MIN_ASIDE = min_aside
real = build_module._render_jobs

def render(context, jobs):
    with open(pids, "a") as f:
        f.write(f"{os.getpid()}\\n")
    return real(context, jobs)

build_module._render_jobs = render
if os.environ.get("NO_CSS_INLINE"):  # the edit's email filled from the frame the last build kept
    def filled_from_the_frame(context, jobs):
        done = render(context, jobs)
        assert "css_inline" not in sys.modules, "css-inline was loaded to render the edit"
        return done

    build_module._render_jobs = filled_from_the_frame
if os.environ.get("NO_CODE_READ"):  # the package's modules may not be read to know the code version
    package = os.path.dirname(cache_module.__file__)

    def no_code(path, *args, **kwargs):
        if str(path).startswith(package):
            raise AssertionError("the code version was made again")
        return open(path, *args, **kwargs)

    cache_module.open = no_code
if os.environ.get("NO_BABEL"):  # every answer must come from the cache (forked processes inherit this)
    import babel.dates
    from newsletter.outputs import labels

    def no_babel(*args, **kwargs):
        raise AssertionError("Babel was asked again")

    babel.dates.format_date = labels._locale = no_babel
main, real_ready = os.getpid(), build_module._Workers.ready_aside

def ready(self, warm):
    def dies():  # the process made ready dies before it is given its issues
        os._exit(3)
    real_ready(self, dies if os.environ.get("READY_DIES") else warm)
    if self._ready is not None:
        with open(root.parent / "ready", "a") as f:
            f.write(f"{self._ready.pid}\\n")
    if os.environ.get("KILLED_THEN"):  # the build is killed once that process is forked
        os.kill(os.getpid(), signal.SIGKILL)

build_module._Workers.ready_aside = ready
try:
    result = build_module.build(load_config(root), root / "public", jobs=2)
    print(os.getpid(), result.rendered, result.parsed)
except NewsletterError as e:
    print(os.getpid(), e.path, e)
try:  # every process the build forked has ended, and was waited for
    os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    pass
else:
    raise AssertionError("a process of the build is still running, or was not waited for")
"""


def _build_alone(
    root: Path, min_aside: int = build_module.MIN_ASIDE, env: dict[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """`build(jobs=2)` of `root` in a process of its own, as the command runs: the test process
    may have threads (other tests' servers), and with threads nothing forks. (What it printed:
    its id, then the issues rendered and parsed, or the error's path and message; the ids of
    the processes that rendered issues, in order.) The ids of processes made ready to render
    before the build knew what (`_Workers.ready_aside`) are in the file `ready` beside `root`;
    no process of the build may be left running when it returns."""
    pids = root.parent / "pids"
    pids.unlink(missing_ok=True)
    (root.parent / "ready").unlink(missing_ok=True)
    out = run_alone(_BUILD_ALONE, str(root), str(pids), str(min_aside), env=env)
    return out.strip().split(maxsplit=2), pids.read_text().split() if pids.exists() else []


def test_an_edit_among_many_is_rendered_in_a_forked_process(root: Path) -> None:
    path = issue_paths(root)[2]
    edit(path, "Genf")
    (pid, rendered, _), renderers = _build_alone(root, min_aside=1)  # every rebuild counts as "among many"
    assert rendered == "1" and len(renderers) == 1 and renderers[0] != pid
    # the very process forked before the manifest was read, so its imports overlapped the lookups
    assert (root.parent / "ready").read_text().split() == renderers
    assert tree_digest(root / "public") == full_build(root)
    assert rebuild(root)[1] == 0  # its record was kept


def test_the_process_forked_for_an_edit_knows_babels_answers(root: Path) -> None:
    """It is forked before this process has read the answers the last build kept: they are
    sent with its work. (Asking Babel there would fail it, and the issue would be rendered here.)"""
    edit(issue_paths(root)[1], "Genf")
    (pid, rendered, error), renderers = _build_alone(root, min_aside=1, env={"NO_BABEL": "1"})
    assert rendered == "1", error
    assert renderers == (root.parent / "ready").read_text().split() and pid not in renderers
    assert tree_digest(root / "public") == full_build(root)


def test_the_process_forked_for_an_edit_knows_the_code_version_by_the_files_stats(root: Path) -> None:
    """It is forked before this process has asked for the code version, which keys the source
    it parses: it is sent with its work (this process asked the cache's memo), so neither
    reads any of the package's modules."""
    _build_alone(root, min_aside=1)  # the memo made, whenever the package's modules were last changed
    edit(issue_paths(root)[1], "Genf")
    (pid, rendered, error), renderers = _build_alone(root, min_aside=1, env={"NO_CODE_READ": "1"})
    assert rendered == "1", error
    assert renderers == (root.parent / "ready").read_text().split() and pid not in renderers


def _fresh_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's email frames forgotten, as in a new one (a build keeps those it made)."""
    monkeypatch.setattr(email_frame_module, "_FRAMES", {})
    monkeypatch.setattr(email_frame_module, "_REPORTED", {})
    monkeypatch.setattr(email_frame_module, "_SEEN", set())


def test_the_process_forked_for_an_edit_fills_its_email_from_the_frame_kept(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last build kept the email frames its processes made (`BuildCache.frames`); they are
    sent with the edit's work, so its one email is filled from a frame, and css-inline (and the
    `email` package it loads) is not even imported there."""
    _fresh_frames(monkeypatch)
    build(load_config(root), root / "public", use_cache=False)
    assert len(cache_module.BuildCache(root / CACHE_PATH).frames()) == 1
    edit(issue_paths(root)[1], "Genf")
    (pid, rendered, error), renderers = _build_alone(root, min_aside=1, env={"NO_CSS_INLINE": "1"})
    assert rendered == "1", error
    assert renderers == (root.parent / "ready").read_text().split() and pid not in renderers
    assert tree_digest(root / "public") == full_build(root)


def test_a_build_with_nothing_to_render_reads_no_email_frame(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(self: cache_module.BuildCache) -> dict[str, bytes]:
        raise AssertionError("the kept frames were read")

    monkeypatch.setattr(cache_module.BuildCache, "frames", read)
    assert rebuild(root)[1] == 0


def test_a_build_reads_the_kept_email_frames_once(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit, and an issue whose files were changed under the build (rendered again late), with
    no frames kept: the cache is asked for them once, not again for the late issue."""
    (root / CACHE_PATH / "frames.pickle").unlink(missing_ok=True)
    reads: list[int] = []
    kept = cache_module.BuildCache.frames

    def counted(self: cache_module.BuildCache) -> dict[str, bytes]:
        reads.append(1)
        return kept(self)

    monkeypatch.setattr(cache_module.BuildCache, "frames", counted)
    edit(issue_paths(root)[1], "Genf")
    changed = sorted((root / "public" / "issues").glob("*/email.txt"))[-1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    digest, rendered = rebuild(root)
    assert rendered == 2 and len(reads) == 1
    assert digest == full_build(root)


@pytest.mark.parametrize("version", ["this", "another"])
def test_a_kept_email_frame_is_used_only_by_the_code_version_that_made_it(
    root: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    _fresh_frames(monkeypatch)
    build(load_config(root), root / "public", use_cache=False)
    stored = root / CACHE_PATH / "frames.pickle"
    code, frames = pickle.loads(cache_module._read_record(stored))
    ((mjml, kept),) = frames.items()
    frame = pickle.loads(kept)
    frame.parts = [part.replace("</body>", "BOGUS</body>") for part in frame.parts]
    tampered = {mjml: pickle.dumps(frame)}
    cache_module._write_record(stored, pickle.dumps((code if version == "this" else "x", tampered)))
    _fresh_frames(monkeypatch)
    edit(issue_paths(root)[1], "Genf")
    assert rebuild(root)[1] == 1
    emails = [p.read_bytes() for p in (root / "public" / "issues").glob("*/email.html")]
    assert sum(b"BOGUS" in email for email in emails) == (1 if version == "this" else 0)


def test_a_process_made_ready_and_not_needed_is_ended(root: Path) -> None:
    """Nothing changed, or too much for one process: the one forked before the build knew
    is ended (the assertion in the script: no process of the build is left)."""
    before = tree_digest(root / "public")
    (pid, rendered, _), renderers = _build_alone(root, min_aside=1)
    assert rendered == "0" and set(renderers) <= {pid}  # called with nothing to render, if at all
    assert len((root.parent / "ready").read_text().split()) == 1
    assert tree_digest(root / "public") == before
    for i, path in enumerate(issue_paths(root)):  # every issue: none unchanged to place meanwhile
        edit(path, f"Genf{i}")
    (pid, rendered, error), renderers = _build_alone(root, min_aside=1)
    assert rendered == str(ISSUES) and renderers == [pid], error
    assert tree_digest(root / "public") == full_build(root)


def test_a_process_made_ready_is_ended_when_a_pool_renders(tmp_path: Path) -> None:
    root = write_newsletter(corpus(MIN_PARALLEL + 2), tmp_path / "news")
    build(load_config(root), root / "public", jobs=2)
    for i, path in enumerate(issue_paths(root)):
        edit(path, f"Genf{i}")
    (pid, rendered, _), renderers = _build_alone(root)
    ready = (root.parent / "ready").read_text().split()
    assert rendered == str(MIN_PARALLEL + 2) and len(ready) == 1
    assert pid not in renderers and ready[0] not in renderers  # the pool's workers rendered
    assert tree_digest(root / "public") == full_build(root)


def test_a_process_made_ready_ends_when_the_build_is_killed(root: Path) -> None:
    edit(issue_paths(root)[2], "Genf")
    with pytest.raises(subprocess.CalledProcessError) as killed:
        _build_alone(root, min_aside=1, env={"KILLED_THEN": "1"})
    assert killed.value.returncode == -signal.SIGKILL
    pid = int((root.parent / "ready").read_text())
    for _ in range(200):  # it finds no one to give it work: it ends (the init process reaps it)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the process made ready outlived the build")
    assert rebuild(root)[1] == 1  # the next build renders the edit


def test_an_edit_is_rendered_here_when_the_process_made_ready_dies(root: Path) -> None:
    edit(issue_paths(root)[2], "Genf")
    (pid, rendered, _), renderers = _build_alone(root, min_aside=1, env={"READY_DIES": "1"})
    assert rendered == "1" and renderers == [pid]
    assert tree_digest(root / "public") == full_build(root)


def test_an_issue_whose_files_are_gone_is_rendered_after_the_forked_process(root: Path) -> None:
    path = issue_paths(root)[2]
    edit(path, "Genf")
    sorted((root / "public" / "issues").glob("*/email.html"))[4].unlink()
    (pid, rendered, _), renderers = _build_alone(root, min_aside=1)
    assert rendered == "2" and len(renderers) == 2  # the edit in the forked process, then this one
    assert renderers[0] != pid and renderers[1] == pid
    assert tree_digest(root / "public") == full_build(root)


def test_a_failure_in_the_forked_process_is_raised_as_itself(root: Path) -> None:
    before = tree_digest(root / "public")
    path = issue_paths(root)[1]
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    (pid, where, error), renderers = _build_alone(root, min_aside=1)
    assert where == str(path) and "did you mean 'title'" in error
    assert len(renderers) == 2 and renderers[1] == pid  # it failed there, then ran here to say why
    assert tree_digest(root / "public") == before


def test_failure_in_a_worker_leaves_previous_output_whole(tmp_path: Path) -> None:
    root = write_newsletter(corpus(MIN_PARALLEL + 2), tmp_path / "news")
    build(load_config(root), root / "public", jobs=2)
    before = tree_digest(root / "public")
    (root / "templates" / "email" / "issue.mjml").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(NewsletterError, match="email template"):
        build(load_config(root), root / "public", jobs=2)
    assert tree_digest(root / "public") == before
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == []


def test_folder_left_by_a_killed_build_is_removed(root: Path) -> None:
    leftover = root / ".public.new-999999999-x"  # no such process
    (leftover / "issues").mkdir(parents=True)
    rebuild(root)
    assert not leftover.exists()


def test_index_follows_a_changed_title_and_is_reused_after_a_body_edit(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = root.parent / "indexes-made"  # a file: an index may be made in a forked process

    def logged(real: Callable[..., str], mark: str) -> Callable[..., str]:
        def counting(*args: object) -> str:
            with log.open("a") as f:
                f.write(mark)
            return real(*args)

        return counting

    # a listing made from its frame ("f"), or its template rendered ("t")
    monkeypatch.setattr(site_frame_module, "fill", logged(site_frame_module.fill, "f"))
    monkeypatch.setattr(site_module, "render_listing", logged(site_module.render_listing, "t"))
    path = issue_paths(root)[3]
    edit(path, "Genf")
    assert rebuild(root)[1] == 1 and not log.exists()  # the body changed, no listed title or summary
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('\ntitle: "', '\ntitle: "Neu – ', 1), encoding="utf-8")
    digest, rendered = rebuild(root)
    # the archive of every issue, and the de edition's, each from the frame the first build kept
    assert rendered == 1 and log.read_text() == "ff"
    assert "Neu – " in (root / "public" / "index.html").read_text(encoding="utf-8")
    assert "Neu – " in (root / "public" / "de" / "index.html").read_text(encoding="utf-8")
    assert digest == full_build(root)


def test_a_damaged_listing_frame_is_made_again(root: Path) -> None:
    """A frame that cannot be read, or names an entry the listing does not have, is a miss:
    the listing is made again, right."""
    frames = [path for path in (root / CACHE_PATH / "documents").iterdir() if _is_frame(path.read_bytes())]
    assert frames  # the site's listing and each edition's
    for n, path in enumerate(frames):
        path.write_bytes(b"\x80not a pickle" if n % 2 else pickle.dumps((("<ol>", "</ol>"), (99,))))
    path = issue_paths(root)[2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('\ntitle: "', '\ntitle: "Neu – ', 1), encoding="utf-8")
    digest, rendered = rebuild(root)
    assert rendered == 1 and digest == full_build(root)


# --- source keys remembered by stat -----------------------------------------------------------


def _reads(monkeypatch: pytest.MonkeyPatch, *, every: bool = False) -> list[str]:
    """The source files the build reads to key them (`every`: also to parse them), from now on."""
    read: list[str] = []
    real = cache_module.read_limited

    def counting(path: Path, max_bytes: int) -> bytes:
        read.append(path.name)
        return real(path, max_bytes)

    for module in (cache_module, markdown_module) if every else (cache_module,):
        monkeypatch.setattr(module, "read_limited", counting)
    return read


def test_a_rebuild_reads_only_the_sources_that_changed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", -1)  # every file counts as settled
    rebuild(root)  # remembers every file's stat
    read = _reads(monkeypatch, every=True)
    assert rebuild(root)[1] == 0 and read == []
    path = issue_paths(root)[2]
    edit(path, "Genf")
    digest, rendered = rebuild(root)
    assert read == [path.name] * 2 and rendered == 1  # keyed, then parsed from one more read
    assert digest == full_build(root)


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", -1)
    rebuild(root)
    path = issue_paths(root)[1]
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Washington", "Washingtom"), encoding="utf-8")  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` or `cp -p` would
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    digest, rendered = rebuild(root)  # the ctime moved: read again
    assert rendered == 1 and digest == full_build(root)


def test_a_file_changed_just_now_is_read_again_next_time(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", 3600 * 10**9)  # "just now", however slow the machine
    path = issue_paths(root)[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nNoch ein Satz.\n", encoding="utf-8")
    rebuild(root)
    read = _reads(monkeypatch)
    rebuild(root)  # within the clock's resolution a second change could hide: not trusted yet
    assert path.name in read


def test_a_digest_is_always_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", -1)
    digest_file = tmp_path / "2025-01-01-digest.md"
    digest_file.write_text('---\ntitle: "D"\narticles:\n  - other\n---\n', encoding="utf-8")
    plain = tmp_path / "2025-01-01-plain.md"
    plain.write_text('---\ntitle: "P"\n---\nText.\n', encoding="utf-8")
    keys = cache_module.SourceKeys(None, 1_000_000)
    keys.key(digest_file), keys.key(plain)
    assert list(keys.seen) == [str(plain)]  # the issues a digest bundles may change without it


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_with_no_manifest_reads_each_source_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """Nothing to look up by key: the source is keyed from the bytes parsed, in the worker."""
    monkeypatch.setattr(cache_module, "RACY_NS", -1)
    count = MIN_PARALLEL + 2 if jobs > 1 else ISSUES
    root = write_newsletter(corpus(count), tmp_path / "news")
    read = _reads(monkeypatch, every=True)
    if jobs == 1:
        result = build(load_config(root), root / "public", jobs=jobs)
        assert (result.rendered, result.parsed) == (count, count)
        assert sorted(read) == sorted(p.name for p in issue_paths(root))
        read.clear()
    else:  # in worker processes, which count in their own memory
        printed, _ = _build_alone(root)
        assert printed[1:] == [str(count), str(count)]
    # the keys were remembered (by the workers' stats), and the parsed issues stored by them
    assert rebuild(root)[1] == 0 and read == []
    template = root / "templates" / "site" / "issue.html"
    template.write_text(template.read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8")
    again = build(load_config(root), root / "public", jobs=1)
    assert (again.rendered, again.parsed) == (count, 0) and read == []
    assert tree_digest(root / "public") == full_build(root)


# --- the code version, remembered by stat -----------------------------------------------------


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package of two modules standing in for this one, and no code version known yet."""
    package = tmp_path / "package"
    package.mkdir()
    for name in ("a.py", "b.py"):
        (package / name).write_text(f"# {name}\n", encoding="utf-8")
    monkeypatch.setattr(
        cache_module, "_code_files", lambda: [(p.name, str(p)) for p in sorted(package.glob("*.py"))]
    )
    monkeypatch.setattr(cache_module, "RACY_NS", -1)
    return package


def _fresh_code_version(memo: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(cache_module, "_code_version", [])  # as a new process
    return cache_module.code_version(memo)


def test_the_code_version_is_remembered_until_a_file_changes(
    code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = tmp_path / "code.pickle"
    first = _fresh_code_version(memo, monkeypatch)
    assert first == _fresh_code_version(tmp_path / "elsewhere.pickle", monkeypatch)  # made, not remembered
    stamps, made = pickle.loads(cache_module._read_record(memo))
    assert made == first
    cache_module._write_record(memo, pickle.dumps((stamps, "remembered"), protocol=5))
    assert _fresh_code_version(memo, monkeypatch) == "remembered"  # nothing read while nothing changed
    module = code / "b.py"
    before = module.stat()
    module.write_text("# b.pz\n", encoding="utf-8")  # same size
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))  # and mtime: the ctime moved
    changed = _fresh_code_version(memo, monkeypatch)
    assert changed not in (first, "remembered")
    assert changed == _fresh_code_version(tmp_path / "elsewhere-too.pickle", monkeypatch)


def test_a_rebuild_reads_none_of_the_packages_files(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever part of a build asks for the code version first (Babel's answers, the sources'
    keys), it is the one remembered by the files' stats in the cache."""
    package = str(Path(cache_module.__file__).parent)
    opened: list[str] = []

    def counting(path: object, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(cache_module, "RACY_NS", -1)  # a module edited just now is remembered too
    monkeypatch.setattr(cache_module, "_code_version", [])  # as a new process
    rebuild(root)  # remembers the code version by the files' stats
    monkeypatch.setattr(cache_module, "_code_version", [])  # and another
    monkeypatch.setattr(cache_module, "open", counting, raising=False)
    edit(issue_paths(root)[0], "Genf")
    assert rebuild(root)[1] == 1
    assert opened and not [path for path in opened if path.startswith(package)]


def test_a_module_changed_just_now_is_hashed_again_next_time(
    code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", 3600 * 10**9)  # "just now", however slow the machine
    memo = tmp_path / "code.pickle"
    _fresh_code_version(memo, monkeypatch)
    assert not memo.exists()  # within the clock's resolution a second change could hide


def test_the_libraries_versions_are_importlib_metadatas() -> None:
    from importlib import metadata

    expected = [f"{name}={metadata.version(name)}" for name in cache_module._RENDERING_LIBRARIES]
    assert cache_module._library_versions() == expected


def test_no_cache_hashes_the_code_again(code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = tmp_path / "code.pickle"
    first = _fresh_code_version(memo, monkeypatch)
    stamps, _ = pickle.loads(cache_module._read_record(memo))
    cache_module._write_record(memo, pickle.dumps((stamps, "stale"), protocol=5))
    monkeypatch.setattr(cache_module, "_code_version", [])
    assert cache_module.code_version(memo, read=False) == first  # `--no-cache` trusts nothing kept
    assert pickle.loads(cache_module._read_record(memo))[1] == first  # and keeps what it made


# --- Babel's answers, remembered between builds -------------------------------------------------


def _as_a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labels_module, "_answers", {})
    monkeypatch.setattr(labels_module, "_made", {})


def test_babels_answers_from_worker_processes_serve_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_newsletter(corpus(MIN_PARALLEL + 2), tmp_path / "news")
    build(load_config(root), root / "public", jobs=2)  # every issue rendered by a worker process
    _as_a_new_process(monkeypatch)

    def no_babel(*args: object, **kwargs: object) -> None:
        raise AssertionError("Babel was asked again")

    monkeypatch.setattr("babel.dates.format_date", no_babel)
    monkeypatch.setattr(labels_module, "_locale", no_babel)
    path = issue_paths(root)[3]
    edit(path, "Genf")
    digest, rendered = rebuild(root)  # its dates and the editions' names, without Babel
    assert rendered == 1
    monkeypatch.undo()
    assert digest == full_build(root)


def test_babels_answers_of_another_code_version_are_not_used(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = root / CACHE_PATH / "answers.pickle"
    version, answers = pickle.loads(cache_module._read_record(stored))
    bogus = {question: "BOGUS" for question in answers}
    cache_module._write_record(stored, pickle.dumps(("another version", bogus), protocol=5))
    _as_a_new_process(monkeypatch)
    path = issue_paths(root)[0]
    edit(path, "Genf")
    digest, _ = rebuild(root)
    assert all(b"BOGUS" not in (root / "public" / rel).read_bytes() for rel in digest)
    version_now, answers_now = pickle.loads(cache_module._read_record(stored))
    assert version_now == version
    assert answers_now and "BOGUS" not in answers_now.values()  # made again by Babel
    assert all(answers[question] == answer for question, answer in answers_now.items() if question in answers)


def test_a_rebuild_with_nothing_to_make_imports_no_renderer(root: Path) -> None:
    """Nothing changed: every issue, feed and listing is placed from the last output, so the
    build's process never loads the renderers, Jinja2 or the HTML sanitizer (tens of milliseconds
    of a rebuild), nor hashlib (its OpenSSL set-up: its keys are blake2b's, `_blake2`'s own)."""
    code = (
        "import sys; from pathlib import Path; from newsletter.build import build; "
        "from newsletter.config import load_config; root = Path(sys.argv[1]); "
        "assert build(load_config(root), root / 'public', jobs=1).rendered == 0; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jinja2', 'markdown_it', 'mjml', 'css_inline', 'yaml', 'nh3') "
        "or m in ('newsletter.outputs.content', 'newsletter.outputs.site', 'hashlib')))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
