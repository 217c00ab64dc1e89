"""The direction of imports and the shape of handlers, checked rather than hoped for.

models ← domain ← api, web ← erfa's assembly: the domain never sees HTTP, and the two doors
never call each other.

`erfa/` holds two floors. The assembly (`ASSEMBLY`: app.py, cli.py, errors.py) stands above
the doors: it builds the app, installs the error handlers, runs the console, and so imports
`api` and `web`. Every other module of `erfa/` is plumbing the doors use (settings, db, deps,
rate limits, mail, i18n, security, files, messages): it imports neither door nor the assembly.

Imports are read as Python resolves them: a relative import against its package, and
`importlib.import_module(...)` / `__import__(...)` by their literal argument. Such a call
whose argument is not a literal cannot be checked, and is an offence in itself.

Who decides permissions is checked in tests/test_permission_decisions.py.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant

from erfa.app import create_app
from erfa.deps import get_session
from erfa.settings import Settings
from tests.routes import api_routes

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "models": {"fastapi", "starlette", "api", "web", "erfa", "domain"},
    "domain": {"fastapi", "starlette", "api", "web", "erfa"},
    "api": {"web"},
    "web": {"api"},
}

ASSEMBLY = frozenset({"erfa.app", "erfa.cli", "erfa.errors"})
"""The floor of erfa/ above the doors, which may import them; all other erfa/ modules are
plumbing below the doors."""

PLUMBING_FORBIDDEN = frozenset({"api", "web"}) | ASSEMBLY

DYNAMIC_IMPORTS = frozenset({"import_module", "__import__"})
UNCHECKABLE_CALLS = frozenset({"exec", "eval"})


@dataclass(frozen=True)
class Imports:
    modules: frozenset[str]
    """Absolute names of what a file imports; `from a import b` gives `a` and `a.b`."""
    unchecked: tuple[str, ...] = ()
    """Dynamic imports (and exec/eval) whose target is not a literal, as `line N: code`."""


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(package: str, level: int, name: str) -> str:
    """An import's absolute name. Levels above the top package resolve from the top, so
    `from ..web import x` in api/ still shows that it reaches for `web`."""
    if level == 0:
        return name
    base = package.split(".") if package else []
    base = base[: max(len(base) - level + 1, 0)]
    return ".".join(part for part in [*base, name] if part)


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_literal(value) for value in node.values]
        return "".join(p for p in parts if p is not None) if None not in parts else None
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((kw.value for kw in call.keywords if kw.arg == keyword), None)


def _dynamic_import(call: ast.Call, function: str, package: str) -> list[str] | None:
    """What an import_module/__import__ call imports; None when that cannot be known."""
    name = _literal(_argument(call, 0, "name"))
    unpacked = any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        kw.arg is None for kw in call.keywords
    )
    if name is None or unpacked:
        return None
    if function == "import_module":
        level = len(name) - len(name.lstrip("."))
        base = _literal(_argument(call, 1, "package")) if level else package
        return None if base is None else [_resolve(base, level, name[level:])]
    level_node = _argument(call, 4, "level")
    level = 0 if level_node is None else getattr(level_node, "value", None)
    fromlist = _argument(call, 3, "fromlist")
    if not isinstance(level, int) or not isinstance(fromlist, ast.Tuple | ast.List | None):
        return None
    items = [_literal(item) for item in fromlist.elts] if fromlist else []
    module = _resolve(package, level, name)
    found = [module, *(f"{module}.{item}" for item in items if item is not None)]
    return None if None in items else found


def _is_uncheckable(func: ast.expr) -> bool:
    return isinstance(func, ast.Name) and func.id in UNCHECKABLE_CALLS


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def imports(path: Path, root: Path = ROOT) -> Imports:
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    modules: set[str] = set()
    unchecked: list[str] = []
    functions = {name: name for name in DYNAMIC_IMPORTS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            functions |= {a.asname: a.name for a in node.names if a.name in functions and a.asname}
    calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(package, node.level, node.module or "")
            modules.update(_resolve(base, 1, alias.name) for alias in node.names)
            modules.update([base] if base else [])
        elif (function := functions.get(_called_name(node) or "")) is not None:
            # Handed on uncalled (`map(importlib.import_module, names)`), it cannot be read.
            call = calls.get(id(node))
            found = _dynamic_import(call, function, package) if call else None
            if found is None:
                unchecked.append(f"line {getattr(node, 'lineno', 0)}: {ast.unparse(call or node)}")
            modules.update(found or [])
        elif isinstance(node, ast.Call) and _is_uncheckable(node.func):
            unchecked.append(f"line {node.lineno}: {ast.unparse(node)}")
    return Imports(frozenset(modules), tuple(unchecked))


def imported_roots(path: Path, root: Path = ROOT) -> set[str]:
    return {module.split(".")[0] for module in imports(path, root).modules}


def _reaches(module: str, targets: frozenset[str] | set[str]) -> bool:
    return any(module == target or module.startswith(f"{target}.") for target in targets)


def import_offences(root: Path, package: str) -> list[str]:
    """The files of `package` that import what they must not, or what cannot be checked.
    In erfa/ only the plumbing is checked: the assembly is the top of the house."""
    offences: list[str] = []
    for path in sorted((root / package).rglob("*.py")):
        if package == "erfa":
            if module_name(path, root) in ASSEMBLY:
                continue
            forbidden: frozenset[str] | set[str] = PLUMBING_FORBIDDEN
        else:
            forbidden = FORBIDDEN[package]
        found = imports(path, root)
        where = path.relative_to(root)
        bad = sorted(module for module in found.modules if _reaches(module, forbidden))
        offences += [f"{where} imports {bad}"] if bad else []
        offences += [f"{where}: cannot check the import at {code}" for code in found.unchecked]
    return offences


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_in_the_allowed_direction(package: str) -> None:
    assert import_offences(ROOT, package) == []


def test_plumbing_imports_neither_door_nor_the_assembly() -> None:
    assert import_offences(ROOT, "erfa") == []


def test_every_assembly_module_exists() -> None:
    """A renamed assembly module would otherwise be checked as plumbing, or not at all."""
    assert all((ROOT / f"{name.replace('.', '/')}.py").is_file() for name in ASSEMBLY)


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
    routes = api_routes(app)
    assert len(routes) > 50
    offenders = [
        route.path
        for route in routes
        if inspect.iscoroutinefunction(route.endpoint) and _depends_on(route.dependant, get_session)
    ]
    assert offenders == []


def test_alembic_folder_is_not_a_package() -> None:
    assert not (ROOT / "alembic" / "__init__.py").exists()


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)
    return root


def test_architecture_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from fastapi import Request\nimport web.rendering\n")
    assert imported_roots(bad, tmp_path) == {"fastapi", "web"}


def test_architecture_check_resolves_relative_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "api/__init__.py": "from . import threads\n",
            "api/threads.py": "from ..web import rendering\n",
            "api/v2/posts.py": "from ... import web\nfrom .. import schemas\n",
            "domain/forum/posts.py": "from ...erfa import db\nfrom . import threads\n",
        },
    )
    assert imports(root / "api/__init__.py", root).modules == {"api", "api.threads"}
    assert import_offences(root, "api") == [
        "api/threads.py imports ['web', 'web.rendering']",
        "api/v2/posts.py imports ['web']",
    ]
    assert import_offences(root, "domain") == ["domain/forum/posts.py imports ['erfa', 'erfa.db']"]


def test_architecture_check_reads_import_module_and_dunder_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "domain/a.py": 'import importlib\nimportlib.import_module("web.x")\n',
            "domain/b.py": 'from importlib import import_module as load\nload("api" + ".y")\n',
            "domain/c.py": '__import__("api")\n',
            "domain/d.py": '__import__("erfa", fromlist=("db",))\n',
            "domain/e.py": 'import importlib\nimportlib.import_module(".markup", "domain")\n',
        },
    )
    assert import_offences(root, "domain") == [
        "domain/a.py imports ['web.x']",
        "domain/b.py imports ['api.y']",
        "domain/c.py imports ['api']",
        "domain/d.py imports ['erfa', 'erfa.db']",
    ]


def test_architecture_check_refuses_imports_it_cannot_read(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "web/a.py": "import importlib\n\ndef load(n):\n    return importlib.import_module(n)\n",
            "web/b.py": "def load(name):\n    return __import__(f'api.{name}')\n",
            "web/c.py": "import importlib\nloaders = map(importlib.import_module, NAMES)\n",
            "web/d.py": "exec('import api')\n",
        },
    )
    assert import_offences(root, "web") == [
        "web/a.py: cannot check the import at line 4: importlib.import_module(n)",
        "web/b.py: cannot check the import at line 2: __import__(f'api.{name}')",
        "web/c.py: cannot check the import at line 2: importlib.import_module",
        "web/d.py: cannot check the import at line 1: exec('import api')",
    ]


def test_plumbing_check_sees_an_upward_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "erfa/app.py": "import api\nimport web\n",
            "erfa/errors.py": "from web.rendering import render_error\n",
            "erfa/db.py": "import web\n",
            "erfa/mail.py": "from . import app\n",
            "erfa/i18n.py": "from erfa.errors import install_error_handlers\n",
            "erfa/settings.py": "from erfa import db\n",
        },
    )
    assert import_offences(root, "erfa") == [
        "erfa/db.py imports ['web']",
        "erfa/i18n.py imports ['erfa.errors', 'erfa.errors.install_error_handlers']",
        "erfa/mail.py imports ['erfa.app']",
    ]
