"""The direction of imports and the shape of handlers, checked rather than hoped for.

models ← domain ← api, web ← erfa.app: the domain never sees HTTP, and the two doors
never call each other.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from erfa.app import create_app
from erfa.deps import get_session
from erfa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "models": {"fastapi", "starlette", "api", "web", "erfa", "domain"},
    "domain": {"fastapi", "starlette", "api", "web", "erfa"},
    "api": {"web"},
    "web": {"api"},
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_in_the_allowed_direction(package: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_roots(path) & FORBIDDEN[package])}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_roots(path) & FORBIDDEN[package]
    ]
    assert offences == []


def test_services_never_commit() -> None:
    offences = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "domain").rglob("*.py"))
        if ".commit(" in path.read_text()
    ]
    assert offences == [], "services flush; the request or session_scope commits"


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(sub.call is target or _depends_on(sub, target) for sub in dependant.dependencies)


def test_no_coroutine_route_touches_the_database_session(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    routes = [route for route in app.routes if isinstance(route, APIRoute)]
    assert routes
    offenders = [
        route.path
        for route in routes
        if inspect.iscoroutinefunction(route.endpoint) and _depends_on(route.dependant, get_session)
    ]
    assert offenders == []


def test_alembic_folder_is_not_a_package() -> None:
    assert not (ROOT / "alembic" / "__init__.py").exists()


def test_architecture_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from fastapi import Request\nimport web.rendering\n")
    assert imported_roots(bad) == {"fastapi", "web"}
