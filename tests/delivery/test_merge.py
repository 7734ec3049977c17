"""delivery/merge.py: two copies of the state, each with its own sends and edits, merged into one
that keeps everything either recorded, so nobody is mailed twice and no edit is lost."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from newsletter.delivery.ledger import Outcome, SendLedger
from newsletter.delivery.merge import delivery_rank, main, merge_state
from newsletter.delivery.subscribers import SubscriberList
from newsletter.errors import NewsletterError

ISSUE_X, ISSUE_Y = "tag:example.org,2025:x", "tag:example.org,2025:y"


def base_state(path: Path, addresses: list[str]) -> None:
    subs = SubscriberList(path)
    for a in addresses:
        subs.add(a, language="de")
    subs.close()


def send(path: Path, issue: str, *, sent: list[str], status: str = "sent") -> None:
    """Queue `issue` for everyone, and record `status` for the addresses in `sent`."""
    ledger = SendLedger(path)
    try:
        ledger.enqueue(issue, issue[-1], "de", "de")
        for r in list(ledger.pending(issue)):
            if r.address in sent:
                failure = "temporary" if status == "failed" else None
                ledger.record(Outcome(r.subscriber_id, status, "250 ok", failure), issue)
    finally:
        ledger.close()


def sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(query, args).fetchall()


def deliveries(path: Path) -> dict[tuple[str, str], str]:
    rows = sql(path, "SELECT issue_id, address, status FROM deliveries")
    return {(issue, address): status for issue, address, status in rows}


def test_a_run_and_an_edit_of_the_list_are_both_kept(tmp_path: Path) -> None:
    """The run sent to two of three; meanwhile the branch got a new subscriber and the third
    unsubscribed. Merged: the sends stay sent, the new subscriber is there, the third is out."""
    base, run, branch = tmp_path / "base.db", tmp_path / "run.db", tmp_path / "branch.db"
    base_state(base, ["a@example.org", "b@example.org", "c@example.org"])
    shutil.copy(base, run)
    shutil.copy(base, branch)
    send(run, ISSUE_X, sent=["a@example.org", "b@example.org"])
    subs = SubscriberList(branch)
    subs.add("d@example.org", language="de")
    subs.unsubscribe("c@example.org")
    subs.close()
    sql(
        branch, "UPDATE subscribers SET changed = '2999-01-01T00:00:00+00:00' WHERE address = 'c@example.org'"
    )

    report = merge_state(run, branch)

    assert report.subscribers_added == 1 and report.subscribers_updated == 1
    statuses = dict(sql(run, "SELECT address, status FROM subscribers"))
    assert statuses == {
        "a@example.org": "active",
        "b@example.org": "active",
        "c@example.org": "unsubscribed",
        "d@example.org": "active",
    }
    assert deliveries(run) == {
        (ISSUE_X, "a@example.org"): "sent",
        (ISSUE_X, "b@example.org"): "sent",
        (ISSUE_X, "c@example.org"): "queued",
    }
    ledger = SendLedger(run)
    try:  # the rerun sends only to c, who has unsubscribed meanwhile: skipped, not mailed
        assert [(r.address, r.subscriber_status) for r in ledger.pending(ISSUE_X)] == [
            ("c@example.org", "unsubscribed")
        ]
    finally:
        ledger.close()


def test_two_runs_from_one_restore_keep_both_sends_and_map_new_subscribers(tmp_path: Path) -> None:
    """Both copies added a subscriber under the same row id; each sent another issue."""
    base, ours, theirs = tmp_path / "base.db", tmp_path / "ours.db", tmp_path / "theirs.db"
    base_state(base, ["a@example.org", "b@example.org"])
    shutil.copy(base, ours)
    shutil.copy(base, theirs)
    base_state(ours, ["e@example.org"])
    base_state(theirs, ["d@example.org"])
    assert sql(ours, "SELECT id FROM subscribers WHERE address = 'e@example.org'") == sql(
        theirs, "SELECT id FROM subscribers WHERE address = 'd@example.org'"
    )
    send(ours, ISSUE_X, sent=["a@example.org", "b@example.org", "e@example.org"])
    send(theirs, ISSUE_Y, sent=["a@example.org", "d@example.org"])

    merge_state(ours, theirs)

    got = deliveries(ours)
    assert {k for k, v in got.items() if v == "sent"} == {
        (ISSUE_X, "a@example.org"),
        (ISSUE_X, "b@example.org"),
        (ISSUE_X, "e@example.org"),
        (ISSUE_Y, "a@example.org"),
        (ISSUE_Y, "d@example.org"),
    }
    assert got[(ISSUE_Y, "b@example.org")] == "queued"
    assert {i for (i,) in sql(ours, "SELECT issue_id FROM sends")} == {ISSUE_X, ISSUE_Y}
    # each delivery row points at the subscriber row of its own address
    assert sql(ours, "SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
               " WHERE s.address != d.address") == [(0,)]  # fmt: skip
    # merging again changes nothing
    again = merge_state(ours, theirs)
    assert (again.subscribers_added, again.deliveries_added, again.deliveries_advanced) == (0, 0, 0)
    assert deliveries(ours) == got


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [("sending", "sent", "sent"), ("sent", "queued", "sent"), ("queued", "sending", "sending"),
     ("failed", "sent", "sent"), ("sent", "failed", "sent")],
)  # fmt: skip
def test_the_most_advanced_delivery_wins(tmp_path: Path, ours: str, theirs: str, merged: str) -> None:
    base, mine, other = tmp_path / "base.db", tmp_path / "mine.db", tmp_path / "other.db"
    base_state(base, ["a@example.org"])
    send(base, ISSUE_X, sent=[])
    for path, status in ((mine, ours), (other, theirs)):
        shutil.copy(base, path)
        failure = "temporary" if status == "failed" else None
        sql(path, "UPDATE deliveries SET status = ?, failure = ?", status, failure)
    merge_state(mine, other)
    assert deliveries(mine) == {(ISSUE_X, "a@example.org"): merged}


def test_a_state_this_version_does_not_know_counts_as_possibly_delivered() -> None:
    assert delivery_rank("queued", None) < delivery_rank("unknown", None) < delivery_rank("sent", None)
    assert delivery_rank("failed", "temporary") < delivery_rank("sending", None)


def test_the_command_line_says_what_it_merged_or_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    base_state(ours, ["a@example.org"])
    base_state(theirs, ["b@example.org"])
    assert main([str(ours), str(theirs)]) == 0
    assert capsys.readouterr().out.startswith("merged: 1 subscriber(s) added")
    assert main([str(ours), str(tmp_path / "missing.db")]) == 1
    err = capsys.readouterr().err
    assert "missing.db" in err and "does not exist" in err and err.count("\n") == 1
    with pytest.raises(NewsletterError):
        merge_state(ours, tmp_path / "missing.db")
