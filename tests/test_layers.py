"""The layers of docs/architecture.md, as the import contract in ``pyproject.toml`` states them.

``make check`` (and so CI) runs the contract on the project. These tests show that it holds and
that it catches a breach: a copy of the project's packages with one import against the layers
(a lower layer reaching up, including from inside a function) must fail it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"


def _contract() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(  # noqa: S603 - the project's own tool on its own files
        [str(executable), "--no-cache", str(CONFIG)],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": str(executable.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The project's packages, copied where a test may break them."""
    for package in _contract()["root_packages"]:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "templates", "static"),
        )
    return tmp_path


def test_layers_every_app_is_in_the_contract():
    """A new app of the project must be given its place in the layers."""
    apps = {
        path.parent.name for path in ROOT.glob("*/apps.py") if not path.parent.name.startswith(".")
    }
    contract = _contract()
    (layers,) = [c["layers"] for c in contract["contracts"] if c["type"] == "layers"]
    named = {name.strip("()") for layer in layers for name in layer.split("|")}
    named = {name.strip() for name in named}
    assert apps <= named, f"apps without a layer: {sorted(apps - named)}"
    assert set(contract["root_packages"]) == named


def test_layers_the_project_keeps_them(project_copy):
    result = _lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "imported"),
    [
        ("core/errors.py", "import cases.models\n", "cases"),
        ("audit/services.py", "from accounts import roles\n", "accounts"),
        # Delayed to a function, it is still an import against the layers.
        ("accounts/selectors.py", "def _late() -> None:\n    import cases.selectors\n", "cases"),
        ("cases/models.py", "import sources.models\n", "sources"),
    ],
)
def test_layers_an_import_against_them_fails(project_copy, module, line, imported):
    with (project_copy / module).open("a", encoding="utf-8") as handle:
        handle.write("\n" + line)
    result = _lint_imports(project_copy)
    assert result.returncode != 0
    importer = module.split("/")[0]
    assert f"{importer} is not allowed to import {imported}" in result.stdout
