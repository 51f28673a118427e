"""The Docker deployment (compose file, Dockerfile, .dockerignore, deploy/) agrees with the app.

No Docker engine is needed: the files are parsed, compose's variable interpolation is applied
the way `docker compose` applies it, and the result is checked against `core.settings.Settings`,
the `docketflow` command line and the other services' own configuration.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import typer
import yaml
from sqlalchemy.engine import URL, make_url

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"

SERVICES = ("postgres", "temporal", "temporal-ui", "migrate", "api", "worker")
APP_SERVICES = ("migrate", "api", "worker")
# `docketflow` subcommands (cli.main), and the one each app service must run.
DOCKETFLOW_COMMANDS = frozenset({"migrate", "api", "worker", "users"})
SERVICE_COMMAND = {"migrate": "migrate", "api": "api", "worker": "worker"}
POSTGRES_PORT = 5432  # the postgres image's port; nothing in the compose file changes it
TEMPORAL_FRONTEND_PORT = 7233
TEMPORAL_UI_PORT = 8080  # temporalio/ui's default listening port
API_PORT = 8000
# What a user is told to provide; every other variable must have a working default.
USER_ENV = {
    "DOCKETFLOW_SECRET_KEY": "s" * 64,
    "DOCKETFLOW_CODEC_MASTER_KEY": "A" * 43 + "=",  # base64 of 32 bytes
    "DOCKETFLOW_CODEC_KEYS": '{"k1": "wrapped-key-placeholder"}',
    "DOCKETFLOW_AUDIT_SIGNING_KEY": "B" * 43 + "=",  # base64 of a 32-byte seed
    "DOCKETFLOW_METRICS_TOKEN": "m" * 64,
    "MINIO_ROOT_PASSWORD": "p" * 24,
}


# --- compose variable interpolation ------------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariableError(Exception):
    """A `${VAR:?message}` / `${VAR?message}` variable is unset: compose refuses to run."""


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error}, ${VAR:+alternative} and ${VAR+alternative}."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        assert "${" not in arg, f"nested interpolation in {value!r} is not modelled here"
        is_set = name in env
        is_set_non_empty = bool(env.get(name))
        present = is_set_non_empty if op.startswith(":") else is_set
        if op.endswith("-"):
            return env[name] if present else arg
        if op.endswith("?"):
            if not present:
                raise MissingVariableError(f"{name}: {arg}")
            return env[name]
        if op.endswith("+"):
            return arg if present else ""
        return env.get(name, "")

    return _VARIABLE.sub(substitute, value)


def interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    return node


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(raw, dict)
    resolved = interpolate_tree(raw, env)
    assert isinstance(resolved, dict)
    return resolved


# --- helpers over the parsed files ----------------------------------------------------------


@dataclass(frozen=True)
class PublishedPort:
    host_ip: str | None
    published: int | None
    target: int


def ports_of(service: dict[str, Any]) -> list[PublishedPort]:
    """A service's `ports`, short ([HOST_IP:][HOST:]CONTAINER[/PROTO]) or long syntax."""
    result = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            published = entry.get("published")
            result.append(
                PublishedPort(
                    entry.get("host_ip"),
                    int(published) if published is not None else None,
                    int(entry["target"]),
                )
            )
            continue
        parts = str(entry).split("/", 1)[0].rsplit(":", 2)
        assert all("-" not in part for part in parts), f"port ranges are not modelled: {entry}"
        target = int(parts[-1])
        published = int(parts[-2]) if len(parts) >= 2 and parts[-2] else None
        host_ip = parts[0] if len(parts) == 3 else None
        result.append(PublishedPort(host_ip, published, target))
    return result


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    assert isinstance(env, dict)
    return {str(key): str(value) for key, value in env.items()}


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert isinstance(command, list), "use the exec (list) form, so no shell sits between"
    return [str(part) for part in command]


def host_path(service: dict[str, Any], container_path: str) -> Path:
    """The host file behind `container_path`, through the service's relative bind mounts."""
    wanted = PurePosixPath(container_path)
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith(".") and wanted.is_relative_to(target):
            return ROOT / source / wanted.relative_to(target)
    raise AssertionError(f"nothing is mounted at {container_path}")


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final build stage, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, arguments = (current + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    parsed = json.loads(arguments)
    assert isinstance(parsed, list), f"use the exec (JSON) form: {arguments}"
    return [str(part) for part in parsed]


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(is an exception `!`, regex) per .dockerignore line, in Docker's matching semantics."""
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1], end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((negated, re.compile(regex + r"\Z")))
    return rules


def in_build_context(path: str) -> bool:
    """Whether `docker build` sends `path`: the last rule matching it or a parent decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    included = True
    for negated, regex in dockerignore_rules():
        if any(regex.match(candidate) for candidate in candidates):
            included = negated
    return included


def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(USER_ENV)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def app_env(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    return environment_of(services["api"])


# --- the stack's shape ---------------------------------------------------------------------


def test_compose_file_uses_the_compose_spec_and_defines_every_service(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert "version" not in compose, "the Compose spec has no `version:`; compose warns on it"
    assert set(SERVICES) <= set(services)


def test_app_services_run_the_image_built_from_this_repository(
    services: dict[str, dict[str, Any]],
) -> None:
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, "migrate, api and worker must run the same build"
    for name in APP_SERVICES:
        assert services[name]["build"] in (".", "./"), name
    assert DOCKERFILE.exists()


def test_one_shot_services_are_never_restarted(services: dict[str, dict[str, Any]]) -> None:
    # Quoted "no": a bare `no` is YAML 1.1 false, which compose rejects.
    assert services["migrate"]["restart"] == "no"
    assert services["temporal-init"]["restart"] == "no"


def test_every_bind_mounted_host_path_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_named_volumes_are_declared(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for service in services.values():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, source


# --- app settings ----------------------------------------------------------------------------


def test_compose_refuses_to_run_without_a_secret_key() -> None:
    with pytest.raises(MissingVariableError, match="DOCKETFLOW_SECRET_KEY"):
        load_compose({})
    with pytest.raises(MissingVariableError, match="DOCKETFLOW_SECRET_KEY"):
        load_compose({"DOCKETFLOW_SECRET_KEY": ""})


def test_app_services_run_in_prod_with_the_secret_from_the_environment(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        env = environment_of(services[name])
        assert env["DOCKETFLOW_ENV"] == "prod", name
        assert env["DOCKETFLOW_SECRET_KEY"] == USER_ENV["DOCKETFLOW_SECRET_KEY"], name


def test_app_services_share_one_configuration(services: dict[str, dict[str, Any]]) -> None:
    # migrate must migrate the database the api and worker then use, and so on; it alone
    # also has the owner's URL.
    api = environment_of(services["api"])
    for name in APP_SERVICES:
        env = environment_of(services[name])
        env.pop("DOCKETFLOW_OWNER_DATABASE_URL", None)
        assert env == api, name


def test_every_docketflow_variable_is_a_settings_field(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        for key in environment_of(services[name]):
            if key.startswith("DOCKETFLOW_"):
                field = key.removeprefix("DOCKETFLOW_").lower()
                assert field in Settings.model_fields, f"{name}: {key} is not a setting"


def test_settings_accept_the_app_environment(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [key for key in os.environ if key.startswith("DOCKETFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in app_env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "prod"
    assert settings.temporal_address == app_env["DOCKETFLOW_TEMPORAL_ADDRESS"]


# --- PostgreSQL --------------------------------------------------------------------------------


def test_database_url_reaches_the_app_database_on_the_postgres_service(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    url: URL = make_url(app_env["DOCKETFLOW_DATABASE_URL"])
    postgres = environment_of(services["postgres"])
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"
    assert url.port == POSTGRES_PORT
    assert "command" not in services["postgres"], "a custom command could move the port"
    assert url.username == postgres["APP_RUNTIME_DB_USER"]
    assert url.password == postgres["APP_RUNTIME_DB_PASSWORD"]
    assert url.database == postgres["APP_DB_NAME"]


def test_only_migrate_connects_as_the_schemas_owner(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    postgres = environment_of(services["postgres"])
    owner: URL = make_url(environment_of(services["migrate"])["DOCKETFLOW_OWNER_DATABASE_URL"])
    assert (owner.username, owner.password) == (
        postgres["APP_DB_USER"],
        postgres["APP_DB_PASSWORD"],
    )
    assert (owner.host, owner.database) == ("postgres", postgres["APP_DB_NAME"])
    for name in ("api", "worker"):
        assert "DOCKETFLOW_OWNER_DATABASE_URL" not in environment_of(services[name])


def test_postgres_init_script_reads_only_variables_the_postgres_service_sets(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres = services["postgres"]
    script_dir = host_path(postgres, "/docker-entrypoint-initdb.d")
    scripts = sorted(script_dir.glob("*.sh"))
    assert scripts, "no init script: the app and Temporal roles would not exist"
    provided = set(environment_of(postgres))
    for script in scripts:
        used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", script.read_text()))
        assert used <= provided, f"{script.name} reads unset {sorted(used - provided)}"


def test_postgres_reports_healthy_only_when_reachable_over_tcp(
    services: dict[str, dict[str, Any]],
) -> None:
    probe = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in probe
    # the socket answers while the init scripts still run; TCP only once they are done
    assert "-h " in probe


def test_temporal_persists_in_the_postgres_service_with_its_own_role(
    services: dict[str, dict[str, Any]],
) -> None:
    temporal = services["temporal"]
    env = environment_of(temporal)
    postgres = environment_of(services["postgres"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgres"
    assert int(env["DB_PORT"]) == POSTGRES_PORT
    assert env["POSTGRES_USER"] == postgres["TEMPORAL_DB_USER"]
    assert env["POSTGRES_PWD"] == postgres["TEMPORAL_DB_PASSWORD"]
    assert temporal["depends_on"]["postgres"]["condition"] == "service_healthy"


# --- Temporal -----------------------------------------------------------------------------------


def test_app_reaches_temporal_on_the_temporal_service_port(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    host, port = host_port(app_env["DOCKETFLOW_TEMPORAL_ADDRESS"])
    assert host == "temporal"
    assert port == TEMPORAL_FRONTEND_PORT
    assert TEMPORAL_FRONTEND_PORT in {p.target for p in ports_of(services["temporal"])}


def test_temporal_ui_and_init_reach_the_same_temporal_as_the_app(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    address = app_env["DOCKETFLOW_TEMPORAL_ADDRESS"]
    assert environment_of(services["temporal-ui"])["TEMPORAL_ADDRESS"] == address
    assert environment_of(services["temporal-init"])["TEMPORAL_ADDRESS"] == address


def test_app_uses_the_namespace_temporal_registers(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    namespace = app_env["DOCKETFLOW_TEMPORAL_NAMESPACE"]
    assert environment_of(services["temporal"])["DEFAULT_NAMESPACE"] == namespace
    assert environment_of(services["temporal-init"])["TEMPORAL_NAMESPACE"] == namespace


def test_temporal_ui_url_is_the_published_ui_port(
    app_env: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    url = app_env["DOCKETFLOW_TEMPORAL_UI_URL"]
    _, port = host_port(url.removeprefix("http://").removeprefix("https://").split("/")[0])
    published = {
        p.published for p in ports_of(services["temporal-ui"]) if p.target == TEMPORAL_UI_PORT
    }
    assert port in published


def test_temporal_loads_the_dynamic_config_file_from_deploy(
    services: dict[str, dict[str, Any]],
) -> None:
    temporal = services["temporal"]
    # relative to the server's working directory, /etc/temporal
    path = "/etc/temporal/" + environment_of(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    config = yaml.safe_load(host_path(temporal, path).read_text())
    assert isinstance(config, dict)
    assert config
    for key, entries in config.items():
        assert isinstance(entries, list), key
        assert all(isinstance(entry, dict) and "value" in entry for entry in entries), key


def test_temporal_init_runs_the_script_from_deploy(services: dict[str, dict[str, Any]]) -> None:
    init = services["temporal-init"]
    script = init["entrypoint"][-1]
    assert host_path(init, script).is_file()
    assert init["depends_on"]["temporal"]["condition"] == "service_started"


# --- app services ---------------------------------------------------------------------------


def test_app_services_run_known_docketflow_commands(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        command = command_of(services[name])
        assert command[0] == "docketflow", name
        assert command[1] in DOCKETFLOW_COMMANDS, name
        assert command[1] == SERVICE_COMMAND[name], name


def test_compose_commands_exist_in_the_docketflow_cli(services: dict[str, dict[str, Any]]) -> None:
    module_name, _, attribute = pyproject()["project"]["scripts"]["docketflow"].partition(":")
    cli = typer.main.get_command(getattr(importlib.import_module(module_name), attribute))
    commands = getattr(cli, "commands", {})  # typer vendors its own click Group class
    for name in APP_SERVICES:
        assert command_of(services[name])[1] in commands, name


def test_api_publishes_port_8000(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    assert any(p.target == API_PORT and p.published == API_PORT for p in ports_of(api))
    assert command_of(api)[-2:] == ["--port", str(API_PORT)]


def test_api_is_health_checked_on_healthz(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    if "healthcheck" in api:
        assert not api["healthcheck"].get("disable", False)
        assert "/healthz" in " ".join(api["healthcheck"]["test"])
    else:  # the image's HEALTHCHECK applies
        healthchecks = [
            args for keyword, args in dockerfile_instructions() if keyword == "HEALTHCHECK"
        ]
        assert healthchecks
        assert f":{API_PORT}/healthz" in healthchecks[-1]


def test_services_that_serve_no_http_disable_the_image_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("migrate", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_api_and_worker_start_after_migrations_succeed_and_temporal_is_ready(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("api", "worker"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["temporal-init"]["condition"] == "service_completed_successfully", name
        assert "temporal" in depends_on, name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_worker_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert "container_name" not in worker, "a fixed name allows one container"
    assert not ports_of(worker), "a fixed host port allows one container"
    assert command_of(worker) == ["docketflow", "worker"]


def test_published_host_ports_do_not_collide(services: dict[str, dict[str, Any]]) -> None:
    published = [p.published for s in services.values() for p in ports_of(s) if p.published]
    assert len(published) == len(set(published))


# --- Dockerfile and build context -------------------------------------------------------------


def test_image_is_python_311_slim() -> None:
    assert dockerfile_instructions()[0] == ("FROM", "python:3.11-slim")


def test_image_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in dockerfile_instructions() if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_image_runs_the_docketflow_api_by_default() -> None:
    instructions = dict(dockerfile_instructions())
    assert "ENTRYPOINT" not in instructions, "compose commands are full `docketflow ...` lines"
    command = exec_form(instructions["CMD"])
    assert command == ["docketflow", "api", "--host", "0.0.0.0", "--port", str(API_PORT)]
    assert command[1] in DOCKETFLOW_COMMANDS


def test_image_healthcheck_probes_healthz_on_the_api_port() -> None:
    instructions = dict(dockerfile_instructions())
    _, _, probe = instructions["HEALTHCHECK"].partition(" CMD ")
    assert f"http://127.0.0.1:{API_PORT}/healthz" in " ".join(exec_form(probe))


def test_build_context_holds_the_readme_and_every_installed_package() -> None:
    project = pyproject()
    assert in_build_context("pyproject.toml")
    assert in_build_context(project["project"]["readme"])
    for include in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = include.rstrip("*")
        assert in_build_context(f"{package}/__init__.py"), package
        assert in_build_context(f"{package}/sub/module.py"), package


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".git/config",
        ".venv/bin/python",
        ".docketflow/stack.json",
        "tests/test_compose.py",
        "core/__pycache__/settings.cpython-311.pyc",
        "docketflow.egg-info/PKG-INFO",
    ],
)
def test_build_context_leaves_out_local_state_and_secrets(path: str) -> None:
    assert not in_build_context(path)


# --- observability: Prometheus, its alert rules and Grafana (deploy/) ------------------------

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
# Series the rules and the dashboard may use: the app's (core/metrics.py), the request
# latency of prometheus-fastapi-instrumentator, Prometheus' own `up`, the Temporal SDK's.
_SERIES = re.compile(r"\b(docketflow_[a-z_]+|http_request_duration_seconds_bucket)\b")


def _app_series() -> set[str]:
    from prometheus_client import REGISTRY

    import api.metrics

    api.metrics._http_series()  # registers the request latency series (core's on import)

    return {sample.name for family in REGISTRY.collect() for sample in family.samples} | {
        f"{family.name}{suffix}"
        for family in REGISTRY.collect()
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }


def _mount(service: dict[str, Any], target: str) -> str:
    for volume in service.get("volumes", []):
        source, mounted = str(volume).split(":")[:2]
        if mounted == target:
            return source
    raise AssertionError(f"nothing mounted at {target}")


def test_the_lock_file_is_in_the_build_context() -> None:
    assert in_build_context("requirements/runtime.lock")


def test_prometheus_scrapes_the_api_with_the_metrics_token(
    services: dict[str, dict[str, Any]], app_env: dict[str, str]
) -> None:
    prometheus = services["prometheus"]
    assert _mount(prometheus, "/etc/prometheus") == "./deploy/prometheus"
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["docketflow-api"]
    assert api["static_configs"][0]["targets"] == [f"api:{API_PORT}"]
    token_file = api["authorization"]["credentials_file"]
    entrypoint = " ".join(prometheus["entrypoint"])
    assert f"> {token_file}" in entrypoint and '"$METRICS_TOKEN"' in entrypoint
    assert prometheus["environment"]["METRICS_TOKEN"] == app_env["DOCKETFLOW_METRICS_TOKEN"]
    assert app_env["DOCKETFLOW_METRICS_TOKEN"] == USER_ENV["DOCKETFLOW_METRICS_TOKEN"]


def test_prometheus_scrapes_every_worker_on_the_ports_the_workers_serve(
    app_env: dict[str, str],
) -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for job, variable in (
        ("docketflow-worker", "DOCKETFLOW_WORKER_APP_METRICS_ADDRESS"),
        ("temporal-sdk", "DOCKETFLOW_WORKER_METRICS_ADDRESS"),
    ):
        (discovery,) = jobs[job]["dns_sd_configs"]
        assert discovery["names"] == ["worker"]  # every replica of the scaled service
        host, _, port = app_env[variable].rpartition(":")
        assert host == "0.0.0.0" and int(port) == discovery["port"], job


def test_alert_rules_cover_breaches_stuck_work_queue_age_and_absent_workers() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {
        "DocketflowBreachRate",
        "DocketflowStuckEngagements",
        "DocketflowQueueAge",
        "DocketflowWorkerAbsent",
    } <= alerts.keys()
    assert 'job="docketflow-worker"' in alerts["DocketflowWorkerAbsent"]["expr"]
    known = _app_series()
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        for series in _SERIES.findall(rule["expr"]):
            assert series in known, f"{name} uses {series}, which nothing exports"


def test_grafana_provisions_the_dashboard_over_the_prometheus_service(
    services: dict[str, dict[str, Any]],
) -> None:
    grafana = services["grafana"]
    assert _mount(grafana, "/etc/grafana/provisioning") == "./deploy/grafana/provisioning"
    dashboards_at = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "docketflow.yml").read_text()
    )["providers"][0]["options"]["path"]
    assert _mount(grafana, dashboards_at) == "./deploy/grafana/dashboards"
    (source,) = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert source["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in services["prometheus"]["ports"]
    dashboard = json.loads((GRAFANA_DIR / "dashboards" / "docketflow.json").read_text())
    known = _app_series()
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert exprs
    for expr in exprs:
        for series in _SERIES.findall(expr):
            assert series in known, f"the dashboard uses {series}, which nothing exports"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]


def test_monitoring_ports_are_bound_to_this_host_only(services: dict[str, dict[str, Any]]) -> None:
    for name in ("prometheus", "grafana"):
        for port in ports_of(services[name]):
            assert port.host_ip == "127.0.0.1", name
