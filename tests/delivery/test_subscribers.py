from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from newsletter.delivery.subscribers import SubscriberList
from newsletter.errors import NewsletterError
from tests.state import migrated

from .conftest import DATA

CSV = DATA / "csv"
Cli = Callable[..., Result]


@pytest.fixture
def subs(database_url: str) -> SubscriberList:
    return SubscriberList(migrated(database_url))


def test_import_valid_csv(subs: SubscriberList) -> None:
    report = subs.import_csv(CSV / "valid.csv")
    assert (report.added, report.existing, report.errors) == (3, 0, [])
    jean = subs.get("JEAN@example.fr")
    assert jean and (jean.name, jean.language, jean.status) == ("Dupont, Jean", "fr", "active")
    assert subs.get("marat@example.org").address == "Marat@example.org"  # type: ignore[union-attr]


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_imported(subs: SubscriberList) -> None:
    report = subs.import_csv(CSV / "bad-rows.csv")
    assert report.added == 2
    assert [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in report.errors] == ["3", "4", "5"]
    assert "invalid address 'not-an-address'" in report.errors[0]
    assert "has 4 fields, the header has 3" in report.errors[1]
    assert "line break" in report.errors[2]
    assert all("\n" not in e and "\r" not in e for e in report.errors)
    assert subs.get("evil@example.org") is None


def test_line_numbers_count_physical_lines_of_multiline_records(subs: SubscriberList) -> None:
    report = subs.import_csv(CSV / "multiline-then-bad.csv")
    assert [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in report.errors] == ["2", "4"]


def test_duplicates_are_case_insensitive(subs: SubscriberList) -> None:
    report = subs.import_csv(CSV / "duplicates-case.csv")
    assert (report.added, report.duplicates) == (2, 2)
    assert subs.count() == 2


@pytest.mark.parametrize(
    "fixture, message",
    [
        ("no-email-column.csv", ":1: the header row lacks an 'email' column"),
        ("not-utf8.csv", ":2: is not UTF-8 text"),
    ],
)
def test_unreadable_csv_is_one_error(subs: SubscriberList, fixture: str, message: str) -> None:
    with pytest.raises(NewsletterError, match=message):
        subs.import_csv(CSV / fixture)


def test_unterminated_quote_stops_with_a_line_number(subs: SubscriberList) -> None:
    report = subs.import_csv(CSV / "unterminated-quote.csv")
    assert report.added == 0
    assert len(report.errors) == 1 and ":2: malformed CSV" in report.errors[0]


def test_import_never_resubscribes(subs: SubscriberList) -> None:
    subs.import_csv(CSV / "valid.csv")
    subs.set_status("lila@example.org", "unsubscribed")
    report = subs.import_csv(CSV / "valid.csv")
    assert (report.added, report.existing) == (0, 3)
    assert subs.get("lila@example.org").status == "unsubscribed"  # type: ignore[union-attr]


def test_add_refuses_invalid_address_and_header_injection(subs: SubscriberList) -> None:
    with pytest.raises(NewsletterError, match="invalid address"):
        subs.add("lila@@example.org")
    with pytest.raises(NewsletterError, match="line break"):
        subs.add("lila@example.org", name="Lila\r\nBcc: victim@example.net")
    assert subs.count() == 0


def test_international_domain_is_stored_as_ascii(subs: SubscriberList) -> None:
    subs.add("anna@bücher.example")
    assert subs.get("anna@xn--bcher-kva.example") is not None


def test_stream_pages_through_everyone(subs: SubscriberList) -> None:
    for i in range(25):
        subs.add(f"s{i:02d}@example.org")
    assert [s.address for s in subs.stream(batch=7)] == [f"s{i:02d}@example.org" for i in range(25)]


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_import_list_export(news: Path, cli: Cli) -> None:
    result = cli("subscribers", "import", str(CSV / "bad-rows.csv"))
    assert result.exit_code == 3
    assert "2 added" in result.output and "3 rejected" in result.output
    assert "bad-rows.csv:3: invalid address 'not-an-address'" in result.stderr
    listed = cli("subscribers", "list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == ["ok1@example.org\tactive\tde", "ok3@example.org\tactive\t"]
    exported = cli("subscribers", "export")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["email"] for r in rows] == ["ok1@example.org", "ok3@example.org"]
    assert rows[0]["name"] == "Ok One" and rows[0]["source"] == "import:bad-rows.csv"


def test_cli_exported_csv_imports_again(news: Path, cli: Cli, tmp_path: Path) -> None:
    cli("subscribers", "import", str(CSV / "valid.csv"))
    out = tmp_path / "export.csv"
    assert cli("subscribers", "export", "-o", str(out)).exit_code == 0
    other = SubscriberList(tmp_path / "other.db")
    assert other.import_csv(out).added == 3


def test_cli_list_is_not_truncated(news: Path, cli: Cli) -> None:
    long = "a" * 60 + "@" + "b" * 60 + ".example.org"
    assert cli("subscribers", "add", long, "--language", "fr").exit_code == 0
    assert cli("subscribers", "list").stdout == f"{long}\tactive\tfr\n"


def test_cli_add_remove_forget(news: Path, cli: Cli) -> None:
    assert (
        cli("subscribers", "add", "lila@example.org", "--name", "Lila").output == "added lila@example.org\n"
    )
    assert cli("subscribers", "remove", "LILA@example.org").exit_code == 0
    assert cli("subscribers", "list", "--status", "unsubscribed").stdout.startswith("lila@example.org\t")
    assert "already on the list" in cli("subscribers", "add", "lila@example.org").output
    assert cli("subscribers", "remove", "lila@example.org", "--forget").exit_code == 0
    assert cli("subscribers", "list").stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (("add", "not an address"), "error: invalid address 'not an address'"),
        (("remove", "nobody@example.org"), "error: nobody@example.org is not on the list"),
        (("import", str(CSV / "no-email-column.csv")), "no-email-column.csv:1: the header row lacks"),
        (("import", "missing.csv"), "missing.csv: cannot read the file"),
    ],
)
def test_cli_errors_are_one_line_exit_1(news: Path, cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli("subscribers", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
