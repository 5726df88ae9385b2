"""The layout's rules, read from the code: imports go one way (ui → evals/index → rag),
rag's modules import each other without cycles, and the SDKs of outside services are
imported only by their adapters (gradio only by the chat page)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# What each top-level package may import of the others.
ALLOWED = {
    "rag": set(),
    "index": {"rag"},
    "evals": {"rag", "index"},
    "ui": {"rag", "index", "evals"},
}
# Clients of services and processes outside the project; inside rag/ only adapters/
# may import them.
SDKS = {"chromadb", "openai", "httpx", "llama_index", "llama_cpp", "tiktoken", "filelock"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if not node.level:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        kept = package[: len(package) - (node.level - 1)]
        base = ".".join(kept + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _imports(path: Path, *, top_level_only: bool) -> Iterator[str]:
    """Modules ``path`` imports; with ``top_level_only``, only those run at import
    time (not inside functions or ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module, is_package = _module(path), path.name == "__init__.py"
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield from _absolute(node, module, is_package)


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_one_way(package: str) -> None:
    forbidden = set(ALLOWED) - ALLOWED[package] - {package}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _files(package)
        for name in _imports(path, top_level_only=False)
        if name.split(".")[0] in forbidden
    }
    assert not wrong, sorted(wrong)


def test_sdks_are_imported_only_by_their_adapters() -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _files("rag")
        if "adapters" not in path.parts
        for name in _imports(path, top_level_only=False)
        if name.split(".")[0] in SDKS
    }
    assert not wrong, sorted(wrong)


def test_gradio_is_imported_only_by_the_chat_page() -> None:
    importers = {
        path.relative_to(ROOT).as_posix()
        for folder in ALLOWED
        for path in _files(folder)
        if any(n.split(".")[0] == "gradio" for n in _imports(path, top_level_only=False))
    }
    assert importers and all(p.startswith("ui/chat") for p in importers), importers


def _rag_graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in _files("rag")}
    return {
        name: {n for n in _imports(path, top_level_only=True) if n in modules and n != name}
        for name, path in modules.items()
    }


def test_rag_modules_import_each_other_without_cycles() -> None:
    graph = _rag_graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in graph[name]:
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles
    assert graph.get("rag.pipeline")  # the graph was read
