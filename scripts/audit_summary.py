"""Reads a pip-audit JSON report: exit 1 on a known vulnerability, 0 with a clear message when the
advisories could not be reached (pip-audit has no offline database). Used by scripts/audit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def summary(report: str, errors: str) -> tuple[int, list[str]]:
    try:
        deps: list[dict[str, Any]] = json.loads(report)["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = [line for line in errors.splitlines() if line.strip()][-1:] or ["no output"]
        return 0, [f"audit SKIPPED: the advisory service could not be reached ({last[0][:200]})"]
    lines = []
    vulnerable = [dep for dep in deps if dep.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            lines.append(
                f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})"
            )
    if vulnerable:
        return 1, lines
    skipped = [dep for dep in deps if "skip_reason" in dep]
    if deps and len(skipped) == len(deps):
        return 0, [
            f"audit SKIPPED: no advisories reachable for any of the {len(deps)} locked packages "
            f"({skipped[0]['skip_reason'][:120]})"
        ]
    if skipped:
        names = ", ".join(dep["name"] for dep in skipped)
        return 0, [f"audit: no known vulnerabilities; {len(skipped)} not audited ({names})"]
    return 0, [f"audit: no known vulnerabilities in {len(deps)} locked packages"]


if __name__ == "__main__":
    report, errors = (Path(arg).read_text() if Path(arg).exists() else "" for arg in sys.argv[1:3])
    status, lines = summary(report, errors)
    print("\n".join(lines))  # noqa: T201
    sys.exit(status)
