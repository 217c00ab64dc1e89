"""Permissions are decided in domain/policy.py only: checked rather than hoped for.

Templates and handlers get `can_*` flags (or plainly descriptive ones) from the view models
and never test a role or a visibility themselves.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent

ROLE_WORDS = frozenset({"is_coordinator", "is_lead", "is_member", "role", "visibility"})
"""Attributes (and in templates, names) that say who someone is or who may see a group."""
ROLE_TYPES = frozenset({"Visibility", "MemberRole"})
ROLE_NAMES = ROLE_TYPES | {"is_coordinator", "is_lead", "is_member"}
"""Names a handler may not decide on; a plain `role` or `visibility` is parsed input."""

DESCRIPTIVE_TEMPLATE_TESTS: dict[tuple[str, str], str] = {}
"""Tests that describe a listed person rather than decide what the viewer may do, waiting
for a descriptive field on their view model. Do not add to them: add the field."""


def _jinja_name(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_jinja_name(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_jinja_name(node.node)}[{node.arg.value!r}]"
    return "…"


def _jinja_role_references(expr: nodes.Node, tainted: set[str]) -> Iterator[str]:
    for node in [expr, *expr.find_all(nodes.Node)]:
        if isinstance(node, nodes.Getattr) and node.attr in ROLE_WORDS:
            yield _jinja_name(node)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if node.arg.value in ROLE_WORDS:
                yield _jinja_name(node)
        elif isinstance(node, nodes.Name) and node.name in ROLE_WORDS | tainted:
            yield node.name
        elif isinstance(node, nodes.Filter | nodes.Test):
            for arg in [*node.args, *(kw.value for kw in node.kwargs)]:
                if isinstance(arg, nodes.Const) and ROLE_WORDS & set(str(arg.value).split(".")):
                    yield f"{node.name}({arg.value!r})"


def _is_select(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Filter) and node.name in ("selectattr", "rejectattr")


def _jinja_decisions(tree: nodes.Template) -> Iterator[nodes.Node]:
    """Every expression whose truth chooses what is shown."""
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.If | nodes.CondExpr) or (
            isinstance(node, nodes.For) and node.test is not None
        ):
            yield node.test
        elif isinstance(node, nodes.And | nodes.Or):
            yield from (node.left, node.right)
        elif isinstance(node, nodes.Not):
            yield node.node
        elif isinstance(node, nodes.Compare | nodes.Test) or _is_select(node):
            yield node


JINJA_PLAIN = (nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Const)
JINJA_BOOLEAN = (nodes.Compare, nodes.And, nodes.Or, nodes.Not, nodes.CondExpr, nodes.Test)


def _jinja_holds_role(value: nodes.Node, tainted: set[str]) -> bool:
    """Whether a name set to `value` stands for a role: a plain look-up of one, or a test
    of one. A macro's or filter's result is something else (a label, say)."""
    plain = all(isinstance(node, JINJA_PLAIN) for node in [value, *value.find_all(nodes.Node)])
    boolean = isinstance(value, JINJA_BOOLEAN)
    return (plain or boolean) and any(_jinja_role_references(value, tainted))


def template_offences(source: str) -> list[str]:
    """`line N: what` for each test of a role or visibility in a template. Names set to
    such a value (`{% set r = view.role %}`) count as that value. A macro's parameters
    cannot be followed: label macros take a plain `value` and only display it."""
    tree = Environment(autoescape=True, extensions=["jinja2.ext.i18n"]).parse(source)
    tainted: set[str] = set()
    for _ in range(2):
        pairs = [(a.target, a.node) for a in tree.find_all(nodes.Assign)] + [
            pair
            for w in tree.find_all(nodes.With)
            for pair in zip(w.targets, w.values, strict=False)
        ]
        for target, value in pairs:
            if isinstance(target, nodes.Name) and _jinja_holds_role(value, tainted):
                tainted.add(target.name)
    found = {
        (expr.lineno, name)
        for expr in _jinja_decisions(tree)
        for name in _jinja_role_references(expr, tainted)
    }
    return [f"line {line}: {name}" for line, name in sorted(found)]


def test_no_template_decides_a_permission() -> None:
    template_dir = ROOT / "web" / "templates"
    offences = [
        f"{path.relative_to(template_dir)}:{offence}"
        for path in sorted(template_dir.rglob("*.html"))
        for offence in template_offences(path.read_text())
        if (str(path.relative_to(template_dir)), offence.partition(": ")[2])
        not in DESCRIPTIVE_TEMPLATE_TESTS
    ]
    assert offences == [], "templates format; give the view model a can_* or descriptive flag"


def _python_role_references(expr: ast.AST, tainted: set[str]) -> Iterator[str]:
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in ROLE_WORDS | ROLE_TYPES:
            yield ast.unparse(node)
        elif isinstance(node, ast.Name) and node.id in ROLE_NAMES | tainted:
            yield node.id


def _python_decisions(scope: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(scope):
        if isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert):
            yield node.test
        elif isinstance(node, ast.comprehension):
            yield from node.ifs
        elif isinstance(node, ast.BoolOp | ast.Compare):
            yield node
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node.operand
        elif isinstance(node, ast.Match):
            yield node.subject
        elif isinstance(node, ast.match_case) and node.guard is not None:
            yield node.guard


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    """The module's own statements, then each function: a name set from a role in one
    function says nothing about the same name in another."""
    defs = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    yield ast.Module([node for node in tree.body if not isinstance(node, defs)], [])
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


PYTHON_PLAIN = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.expr_context)
PYTHON_BOOLEAN = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp)


def _python_holds_role(value: ast.expr, tainted: set[str]) -> bool:
    """Whether a name set to `value` stands for a role: a plain look-up of one, or a test
    of one. A call's result (a schema, a service's answer) is something else."""
    plain = all(isinstance(node, PYTHON_PLAIN) for node in ast.walk(value))
    boolean = isinstance(value, PYTHON_BOOLEAN)
    return (plain or boolean) and any(_python_role_references(value, tainted))


def handler_offences(source: str) -> list[str]:
    """`line N: what` for each decision a handler takes on a role or visibility. Passing
    such a value on, to a service or into a response schema, is no decision."""
    found: set[tuple[int, str]] = set()
    for scope in _scopes(ast.parse(source)):
        tainted: set[str] = set()
        for _ in range(2):
            for node in ast.walk(scope):
                if not isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                    continue
                if node.value and _python_holds_role(node.value, tainted):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted.update(t.id for t in targets if isinstance(t, ast.Name))
        for expr in _python_decisions(scope):
            found.update((expr.lineno, name) for name in _python_role_references(expr, tainted))
    return [f"line {line}: {name}" for line, name in sorted(found)]


def test_no_handler_decides_a_permission() -> None:
    paths = [*sorted((ROOT / "api").glob("*.py")), *sorted((ROOT / "web").glob("*.py"))]
    offences = [
        f"{path.relative_to(ROOT)}:{offence}"
        for path in paths
        if path != ROOT / "api" / "schemas.py"
        for offence in handler_offences(path.read_text())
    ]
    assert offences == [], "handlers ask domain/policy.py, or pass the value on to a service"


def test_permission_check_sees_a_template_deciding() -> None:
    source = """{% if current_actor.is_coordinator %}<a>Admin</a>{% endif %}
{% if view.can_manage and m.membership.role.value != "lead" %}<button>Remove</button>{% endif %}
<button>{{ _("Join") if view.group.visibility.value == "open" else _("Ask to join") }}</button>
{% set mine = view.role %}{% if not mine %}<p>Join us</p>{% endif %}
{% for m in members|selectattr("membership.role.value", "eq", "lead") %}{{ m }}{% endfor %}
{% if current_actor.is_lead(view.group.id) %}{% elif view["visibility"] %}{% endif %}
"""
    assert template_offences(source) == [
        "line 1: current_actor.is_coordinator",
        "line 2: m.membership.role",
        "line 3: view.group.visibility",
        "line 4: mine",
        "line 5: selectattr('membership.role.value')",
        "line 6: current_actor.is_lead",
        "line 6: view['visibility']",
    ]


def test_permission_check_lets_templates_display() -> None:
    source = """{% from "components/group_card.html" import visibility_label %}
<span class="badge badge-{{ view.group.visibility.value }}">
{{ visibility_label(view.group.visibility.value) }}</span>
{% macro label(value) %}{% if value == "open" %}Open{% else %}Closed{% endif %}{% endmacro %}
{% if view.can_join %}{% if view.join_needs_approval %}Ask{% else %}Join{% endif %}{% endif %}
{% if can_administer %}<a>Admin</a>{% endif %}{{ m.membership.role.value }}
"""
    assert template_offences(source) == []


def test_permission_check_sees_a_handler_deciding() -> None:
    source = """
def index(actor, views, data):
    if actor.is_coordinator:
        return 1
    mine = [view for view in views if view.role is not None]
    lead = data.role is MemberRole.LEAD
    visible = "x" if views[0].group.visibility == Visibility.OPEN else "y"
    lead_here = actor.is_lead(3) and 1
    role = views[0].role
    while not role:
        pass
"""
    assert handler_offences(source) == [
        "line 3: actor.is_coordinator",
        "line 5: view.role",
        "line 6: MemberRole",
        "line 6: data.role",
        "line 7: Visibility",
        "line 7: views[0].group.visibility",
        "line 8: actor.is_lead",
        "line 10: role",
    ]


def test_permission_check_lets_handlers_pass_values_on() -> None:
    source = """
def invite(session, actor, data, view, coordinator):
    users.invite_official(session, actor, is_coordinator=coordinator)
    groups.set_member(session, actor, slug=data.slug, role=data.role)
    out = MembershipOut(role=view.membership.role, visibility=view.group.visibility)
    label = visibility_label(view.group.visibility)
    if view.can_manage and data.role_name and out and label:
        return out
"""
    assert handler_offences(source) == []
