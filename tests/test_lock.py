"""Installs are reproducible: the lock files pin every dependency with hashes, the install and
the image use them, and the vulnerability audit never fails for lack of network."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import tomllib
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9._-]+==[^\\\n]+?)\s*\\?$", re.MULTILINE)


def _pins(lock: str, *, here_only: bool = False) -> dict[str, str]:
    """name -> pinned version; `here_only`: just the pins whose markers hold on this machine
    (the universal lock also pins, e.g., Windows-only packages)."""
    text = (ROOT / "requirements" / lock).read_text()
    pins: dict[str, str] = {}
    for line in PIN.findall(text):
        requirement = Requirement(line)
        if here_only and requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (spec,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


RUNTIME = _names(PYPROJECT["project"]["dependencies"])
DEV = _names(PYPROJECT["project"]["optional-dependencies"]["dev"])


def test_every_declared_dependency_is_pinned_with_hashes() -> None:
    runtime, dev = _pins("runtime.lock"), _pins("dev.lock")
    assert runtime.keys() >= RUNTIME, f"run ./scripts/lock: {sorted(RUNTIME - runtime.keys())}"
    assert dev.keys() >= RUNTIME | DEV, f"run ./scripts/lock: {sorted(RUNTIME | DEV - dev.keys())}"
    assert not {"pytest", "mypy", "ruff", "pip-audit"} & runtime.keys(), "dev tools in the image"
    for lock in ("runtime.lock", "dev.lock"):
        text = (ROOT / "requirements" / lock).read_text()
        assert text.count("==") <= text.count("--hash=sha256:"), lock


def test_this_environment_was_installed_from_the_lock() -> None:
    for name, version in _pins("dev.lock", here_only=True).items():
        assert importlib.metadata.version(name) == version, name


def test_the_install_and_the_image_use_the_lock_with_hashes() -> None:
    install = (ROOT / "scripts" / "install").read_text()
    assert "--require-hashes -r requirements/dev.lock" in install
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/runtime.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert "!requirements/runtime.lock" in (ROOT / ".dockerignore").read_text().splitlines()


def _audit_summary() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "audit_summary", ROOT / "scripts/audit_summary.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_the_audit() -> None:
    report = {
        "dependencies": [
            {
                "name": "starlette",
                "version": "0.40.0",
                "vulns": [{"id": "GHSA-7f5h-v6xp-fcq8", "fix_versions": ["0.49.1"]}],
            },
            {"name": "httpx", "version": "0.28.1", "vulns": []},
        ]
    }
    status, lines = _audit_summary().summary(json.dumps(report), "")
    assert status == 1
    assert lines == ["VULNERABLE starlette 0.40.0: GHSA-7f5h-v6xp-fcq8 (fixed in 0.49.1)"]


def test_unreachable_advisories_skip_the_audit_with_a_message() -> None:
    summary = _audit_summary().summary
    status, lines = summary("", "ConnectionError: Max retries exceeded with url: /pypi/x/json")
    assert status == 0 and lines[0].startswith("audit SKIPPED: the advisory service")
    everything_skipped = {"dependencies": [{"name": "httpx", "skip_reason": "not found on PyPI"}]}
    status, lines = summary(json.dumps(everything_skipped), "")
    assert status == 0 and lines[0].startswith("audit SKIPPED: no advisories reachable")
    clean = {"dependencies": [{"name": "httpx", "version": "0.28.1", "vulns": []}]}
    assert summary(json.dumps(clean), "") == (
        0,
        ["audit: no known vulnerabilities in 1 locked packages"],
    )
