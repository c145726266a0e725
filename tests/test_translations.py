"""Messages are translated in the language of each request: none is translated once, at import,
in whatever language was active then."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils.functional import Promise

from core.errors import DomainError
from tests.project_modules import project_modules

ROOT = Path(settings.BASE_DIR)
# What runs at import: module bodies and class bodies, outside functions. Tests are left out
# (their module-level errors are built on purpose), and so are migrations (no messages).
SKIPPED_DIRECTORIES = {".venv", "tests", "migrations", "var", "build", "node_modules"}
NOT_LAZY = {"gettext", "ngettext", "pgettext", "npgettext"}
LAZY = {"gettext_lazy", "ngettext_lazy", "pgettext_lazy", "npgettext_lazy"}


def _project_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIPPED_DIRECTORIES.intersection(path.relative_to(ROOT).parts):
            yield path


def _translation_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The names this module binds to Django's immediate and lazy translation functions."""
    not_lazy: set[str] = set()
    lazy: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in NOT_LAZY:
                    not_lazy.add(alias.asname or alias.name)
                elif alias.name in LAZY:
                    lazy.add(alias.asname or alias.name)
    return not_lazy, lazy


def _run_at_import(body: list[ast.stmt], commands: bool) -> Iterator[ast.AST]:
    """The expressions of ``body`` evaluated when the module is imported."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = statement.args
            yield from statement.decorator_list
            yield from arguments.defaults
            yield from (default for default in arguments.kw_defaults if default is not None)
        elif isinstance(statement, ast.ClassDef):
            yield from statement.decorator_list
            yield from statement.bases
            yield from _run_at_import(statement.body, commands)
        elif commands and _is_command_help(statement):
            # argparse takes the help as text only; a command's module is imported by the
            # process that prints its help, in that process's language.
            continue
        else:
            yield statement


def _is_command_help(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == "help"
    )


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """The calls made when ``node`` is evaluated (not those inside a lambda or a function)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(current, ast.Call):
            yield current
        stack.extend(ast.iter_child_nodes(current))


def _frozen_messages(source: str, commands: bool = False) -> list[str]:
    tree = ast.parse(source)
    not_lazy, lazy = _translation_names(tree)
    found = []
    for node in _run_at_import(tree.body, commands):
        for call in _calls(node):
            name = call.func.id if isinstance(call.func, ast.Name) else None
            if name in not_lazy:
                found.append(f"{call.lineno}: {name}(...)")
            elif (
                name == "str"
                and call.args
                and isinstance(call.args[0], ast.Call)
                and isinstance(call.args[0].func, ast.Name)
                and call.args[0].func.id in lazy
            ):
                found.append(f"{call.lineno}: str({call.args[0].func.id}(...))")
    return found


def test_no_message_is_translated_at_import():
    frozen = {
        str(path.relative_to(ROOT)): found
        for path in _project_modules()
        if (
            found := _frozen_messages(
                path.read_text(encoding="utf-8"), commands="commands" in path.parts
            )
        )
    }
    assert frozen == {}


def test_frozen_message_scan_finds_what_it_looks_for():
    source = """
from django.utils.translation import gettext as _, gettext_lazy

FROZEN = _("At import.")
LATER = lambda: _("When called.")


class Error:
    default_detail = str(gettext_lazy("Frozen by str."))
    lazy_detail = gettext_lazy("Lazy.")
    help = _("A command's help.")

    def message(self, text=_("A default, at import.")):
        return _("When called.")
"""
    assert _frozen_messages(source) == [
        "4: _(...)",
        "9: str(gettext_lazy(...))",
        "11: _(...)",
        "13: _(...)",
    ]
    assert "11: _(...)" not in _frozen_messages(source, commands=True)


def _domain_errors() -> set[type[DomainError]]:
    for _module in project_modules():
        pass  # importing them is what defines every error class
    found: set[type[DomainError]] = set()
    pending = [DomainError]
    while pending:
        error = pending.pop()
        found.add(error)
        pending.extend(error.__subclasses__())
    return found


def test_every_domain_error_message_is_lazy():
    errors = _domain_errors()
    assert len(errors) > 15
    assert {
        f"{error.__module__}.{error.__qualname__}"
        for error in errors
        if not isinstance(error.default_detail, Promise)
    } == set()
