"""The demo app is optional: production settings neither install nor need it (nor Faker), and
no other app imports it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Where the demo app may be imported: itself, its tests, the benchmark that loads its data.
ALLOWED = {"demo", "tests", "benchmarks"}

# Runs the production settings with ``demo`` and ``faker`` made unimportable.
PROBE = """
import importlib.abc, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("demo", "faker"):
            raise ModuleNotFoundError(f"No module named {name!r} (not installed in production)")
        return None

sys.meta_path.insert(0, Refuse())
import django
from django.core.management import call_command, get_commands

django.setup()
call_command("check")
commands = get_commands()
import config.management.commands.load_seeds  # noqa: F401
print(commands["load_seeds"], "load_demo" in commands, "create_demo_admin" in commands)
"""


def test_production_settings_check_and_load_seeds_without_the_demo_app_or_faker(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_SECRET_KEY": "production-probe-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "registry.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["config", "False", "False"]


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_app_but_demo_imports_demo():
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/**/*.py")
        if path.relative_to(ROOT).parts[0] not in ALLOWED | {".venv", "var"}
        and any(m == "demo" or m.startswith("demo.") for m in _imported_modules(path))
    )

    assert importers == []
