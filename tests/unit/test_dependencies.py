"""What the code imports is declared, and serving never needs the evals group."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from evals.extras import EVAL_MODULES, require_eval_group
from rag.errors import ConfigError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"rag", "ui", "index", "evals", "tests"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0]).lower()


def _imported(folder: str) -> set[str]:
    """Top-level modules imported anywhere in a folder's code, lazily or not."""
    modules: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules - FIRST_PARTY - set(sys.stdlib_module_names)


@pytest.mark.parametrize("folder", ["rag", "ui", "index", "evals"])
def test_every_package_the_code_imports_is_declared(folder: str) -> None:
    declared = {_name(r) for r in PROJECT["project"]["dependencies"]}
    if folder == "evals":
        declared |= {_name(r) for r in PROJECT["dependency-groups"]["evals"]}
    distributions = packages_distributions()
    undeclared = {
        module
        for module in _imported(folder)
        if not {_name(d) for d in distributions.get(module, [module])} & declared
    }
    assert not undeclared, f"{folder}/ imports undeclared packages: {sorted(undeclared)}"


def test_the_evals_group_lists_the_modules_its_check_looks_for() -> None:
    group = {_name(r) for r in PROJECT["dependency-groups"]["evals"]}
    distributions = packages_distributions()
    owners = {_name(d) for m in EVAL_MODULES for d in distributions[m.split(".")[0]]}
    assert group <= owners


# Imports of the evals group's modules fail, as in the environment `make run` installs.
_BLOCKED = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in {EVAL_MODULES!r}):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Block())
"""


def test_serving_imports_nothing_of_the_evals_group() -> None:
    code = _BLOCKED + "import ui.app, ui.cli, rag.pipeline, index.ingest\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_eval_and_bench_name_the_missing_group_before_running() -> None:
    code = _BLOCKED + "from ui.cli import main\nsys.argv = ['rag', 'eval']\nmain()\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == ConfigError.exit_code, result.stderr[-2000:]
    assert "needs the evals dependency group" in result.stdout + result.stderr


def test_the_group_check_passes_where_the_group_is_installed() -> None:
    require_eval_group("eval")  # raises ConfigError when it is not
