"""The Dockerfile, linted with hadolint and checked for what the image promises, and the
compose.yaml example. No Docker engine is needed."""

from __future__ import annotations

import ast
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO_ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (keyword, arguments), continuations joined."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            result.append((keyword.upper(), " ".join(arguments.split())))
    return result


def arguments_of(keyword: str) -> list[str]:
    return [arguments for found, arguments in instructions() if found == keyword]


def image_environment() -> dict[str, str]:
    environment = {}
    for arguments in arguments_of("ENV"):
        for assignment in shlex.split(arguments):
            name, _, value = assignment.partition("=")
            environment[name] = value
    return environment


def hadolint_path() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("hadolint")


def test_hadolint_passes():
    hadolint = hadolint_path()
    if hadolint is None:
        pytest.skip("hadolint is not installed; the test extra installs it except on Windows")

    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_as_non_root_user():
    [user] = arguments_of("USER")
    assert user.isdigit()
    assert int(user) != 0
    # The last USER decides, and it comes before the entry point.
    keywords = [keyword for keyword, _ in instructions()]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_database_on_data_volume():
    [volume] = arguments_of("VOLUME")
    assert json.loads(volume) == ["/data"]
    assert image_environment()["DATABASE_PATH"].startswith("/data/")


def test_entrypoint_runs_bot():
    [entrypoint] = arguments_of("ENTRYPOINT")
    [command] = arguments_of("CMD")
    assert json.loads(entrypoint) == ["python", "-m", "bot"]
    assert json.loads(command) == ["run"]


def test_healthcheck_uses_health_endpoint():
    [healthcheck] = arguments_of("HEALTHCHECK")
    environment = image_environment()

    options, _, command = healthcheck.partition(" CMD ")
    assert json.loads(command) == ["python", "-m", "bot.healthcheck"]
    assert "--interval=" in options
    assert "--timeout=" in options
    assert environment["HEALTH_PORT"].isdigit()
    assert environment["HEALTH_LISTEN"] == "127.0.0.1"


def test_healthcheck_needs_only_standard_library():
    tree = ast.parse((REPO_ROOT / "bot" / "healthcheck.py").read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])

    assert modules - {"__future__"} <= set(sys.stdlib_module_names)


def test_webhook_port_exposed():
    environment = image_environment()

    assert arguments_of("EXPOSE") == [environment["WEBHOOK_PORT"]]
    assert environment["WEBHOOK_LISTEN"] == "0.0.0.0"


def test_dockerignore_keeps_secrets_out():
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert "data" in ignored


def test_compose_example_matches_image():
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    [service] = compose["services"].values()
    environment = image_environment()

    assert service["build"] == "."
    assert service["env_file"] == ".env"
    assert "bot-data:/data" in service["volumes"]
    assert "bot-data" in compose["volumes"]
    for name, value in service["environment"].items():
        assert environment[name] == str(value), name
