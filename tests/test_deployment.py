"""The container files follow the README's install path and the documented topology."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_installs_with_uv_from_the_lock_and_serves_erfa() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in dockerfile
    assert '"erfa", "serve"' in dockerfile
    assert "USER erfa" in dockerfile


def test_compose_starts_postgresql_redis_and_erfa_workers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "erfa", "worker"}
    erfa = services["erfa"]
    assert erfa["environment"]["ERFA_DATABASE_URL"].startswith("postgresql://")
    assert erfa["environment"]["ERFA_REDIS_URL"].startswith("redis://redis:")
    assert "${ERFA_SECRET_KEY:?" in erfa["environment"]["ERFA_SECRET_KEY"]
    assert erfa["command"][erfa["command"].index("--workers") + 1] != "1"
    assert set(erfa["depends_on"]) == {"postgres", "redis"}
    worker = services["worker"]
    assert worker["command"][-2:] == ["erfa", "worker"]
    assert worker["environment"] == {
        key: value for key, value in erfa["environment"].items() if key.startswith("ERFA_")
    }
    assert worker["volumes"] == erfa["volumes"]


def _runtime_requirements() -> set[str]:
    """The distributions an install without the dev group has: erfa's dependencies (with
    the extras it asks for, `uvicorn[standard]`) and theirs, from the installed metadata."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras: dict[str, set[str]] = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        extras[_key(requirement.name)] = set(requirement.extras)
    seen: set[str] = set()
    waiting = list(extras)
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            found = distribution(name)
        except PackageNotFoundError:
            continue
        for line in found.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            asked = extras.get(name, set()) | {""}
            if marker and not any(marker.evaluate({"extra": extra}) for extra in asked):
                continue
            waiting.append(_key(requirement.name))
    return seen


def _key(name: str) -> str:
    return name.lower().replace("_", "-")


def test_every_module_erfa_imports_at_run_time_is_a_runtime_dependency() -> None:
    """`uv sync --no-dev` must give everything the product imports (erfa sync pull once
    needed httpx, then a dev-only package)."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    providers = packages_distributions()
    runtime = _runtime_requirements()
    ours = {"api", "domain", "erfa", "models", "web"}
    missing: dict[str, str] = {}
    for package in ours:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in ours or top in sys.stdlib_module_names:
                        continue
                    distributions = {_key(d) for d in providers.get(top, [])}
                    if not distributions & runtime:
                        missing[top] = str(path.relative_to(ROOT))
    assert not missing, f"imported but not a runtime dependency: {missing}"
