"""The deployment recipes (deploy/, README "Deploying") stay in step with the code: one gunicorn
command everywhere, real module paths and environment variables, and that command really serves."""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import shlex
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

from bench.serve_bench import gunicorn_command, make_newsletter, run, running_service

DEPLOY = ROOT / "deploy"
SECRET = "deploy-test-secret-0123456789"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def shell_commands(markdown: str, program: str) -> list[list[str]]:
    """Every `program …` command in the ```sh blocks of `markdown` (continuations joined), split like sh."""
    blocks = "\n".join(re.findall(r"(?s)```sh\n(.*?)```", markdown))
    joined = re.sub(r"\\\n\s*", " ", blocks)
    return [shlex.split(m.group(0)) for m in re.finditer(rf"(?m)(?<![\w/-]){program} [^\n]+", joined)]


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "newsletter-service.service", encoding="utf-8")
    return parser


def containerfile() -> dict[str, list[str]]:
    """Instruction -> its arguments, one entry per line (continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Containerfile").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.setdefault(word.upper(), []).append(rest.strip())
    return found


def with_bind_of(argv: list[str]) -> list[str]:
    """The production command with the same --bind as `argv`, its program named as in `argv`."""
    expected = gunicorn_command(argv[argv.index("--bind") + 1])
    return [argv[0], *expected[1:]]


def test_one_gunicorn_command_in_readme_docs_systemd_and_container() -> None:
    readme = shell_commands(readme_section("Deploying"), "gunicorn")
    docs = shell_commands((ROOT / "docs" / "subscription-service.md").read_text(encoding="utf-8"), "gunicorn")
    systemd = [shlex.split(unit()["Service"]["ExecStart"])]
    [cmd] = containerfile()["CMD"]
    container = [json.loads(cmd)]
    assert readme and docs
    for argv in readme + docs + systemd + container:
        assert Path(argv[0]).name == "gunicorn", argv
        assert argv == with_bind_of(argv)
    assert systemd[0][systemd[0].index("--bind") + 1] == "127.0.0.1:8080"  # behind the proxy only
    assert container[0][container[0].index("--bind") + 1] == "0.0.0.0:8080"  # published by the runtime


def test_the_recipes_name_modules_that_exist() -> None:
    argv = gunicorn_command("127.0.0.1:8080")
    config_module = argv[argv.index("--config") + 1].removeprefix("python:")
    wsgi_module, _, attribute = argv[-1].partition(":")
    assert importlib.util.find_spec(config_module) is not None
    spec = importlib.util.find_spec(wsgi_module)
    assert spec is not None and spec.origin
    assert re.search(rf"(?m)^\s*{attribute} = ", Path(spec.origin).read_text(encoding="utf-8"))


def test_the_recipes_name_environment_variables_the_code_reads() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "newsletter").rglob("*.py"))
    texts = [p.read_text(encoding="utf-8") for p in sorted(DEPLOY.iterdir())] + [readme_section("Deploying")]
    named = {v for text in texts for v in re.findall(r"\bNEWSLETTER_[A-Z_]+\b", text)}
    assert {"NEWSLETTER_SECRET", "NEWSLETTER_DATABASE_URL", "NEWSLETTER_CONFIG"} <= named
    ci_only = {"NEWSLETTER_STATE_KEY"}  # read by the workflow, not by the package
    workflow = (ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert all(v in workflow for v in ci_only)
    unknown = {v for v in named - ci_only if f'"{v}"' not in code}
    assert not unknown, f"deploy recipes name variables no code reads: {sorted(unknown)}"
    env_file = (DEPLOY / "service.env.example").read_text(encoding="utf-8")
    assert re.findall(r"(?m)^(NEWSLETTER_\w+)=", env_file) == [
        "NEWSLETTER_SECRET",
        "NEWSLETTER_DATABASE_URL",
        "NEWSLETTER_SMTP_URL",
    ]


def test_the_systemd_unit_runs_the_service_as_documented() -> None:
    service = unit()["Service"]
    assert service["Type"] == "notify"  # gunicorn tells systemd when it is ready
    assert service["User"] == "newsletter"
    assert service["EnvironmentFile"] == "/etc/newsletter/service.env"
    assert "/etc/newsletter/service.env" in readme_section("Deploying")
    assert service["Environment"] == "NEWSLETTER_CONFIG=/srv/news/newsletter.toml"
    assert service["WorkingDirectory"] == "/srv/news"
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"  # gunicorn: graceful worker restart
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


def test_the_container_recipe_installs_the_service_extra_and_checks_health() -> None:
    found = containerfile()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any("gunicorn" in dep for dep in pyproject["project"]["optional-dependencies"]["service"])
    assert any("[service]" in run for run in found["RUN"])
    for copy in found["COPY"]:
        *sources, _target = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    copied = " ".join(found["COPY"])
    assert pyproject["project"]["readme"] in copied  # pip install needs it
    assert found["USER"] == ["newsletter"]
    [env] = found["ENV"]
    assert "NEWSLETTER_CONFIG=/srv/news/newsletter.toml" in env.split()
    [health] = found["HEALTHCHECK"]
    assert "http://127.0.0.1:8080/healthz" in health


def test_the_production_command_serves_and_keeps_tokens_out_of_its_log(tmp_path: Path) -> None:
    from delivery.smtp_servers import free_port

    port = free_port()
    config = make_newsletter(tmp_path / "news", port)
    log = tmp_path / "gunicorn.log"
    token = "eyJhIjoiYiJ9.secret-looking-token"
    with running_service(config, port, {"NEWSLETTER_SECRET": SECRET}, log, gunicorn_workers=2) as base:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
            assert (r.status, r.read()) == (200, b"ok\n")
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/confirm/{token}", timeout=10)
        assert bad.value.code == 400
    written = log.read_text(encoding="utf-8", errors="replace")
    assert "GET /healthz" in written and "GET /confirm/…" in written  # the access log is on
    assert token not in written
    assert written.count("Booting worker") == 2 and "Control socket" not in written


def test_the_production_command_loses_and_doubles_no_concurrent_sign_up(
    database_url: str, tmp_path: Path
) -> None:
    result, problems = run(100, 100, tmp_path / "news", gunicorn_workers=4, database_url=database_url)
    assert problems == []  # every answer 202, one pending row and one confirmation mail per address
    assert result.statuses == {202: 100}
