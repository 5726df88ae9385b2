"""The `evals` dependency group: what only `rag eval` and `rag bench` import.

`make run` installs the serving environment without it, so these commands say what is
missing and how to get it instead of failing on an import deep inside a run.
"""

from __future__ import annotations

from importlib.util import find_spec

from rag.errors import ConfigError

# Top-level modules of the group's packages (pyproject.toml, [dependency-groups] evals).
EVAL_MODULES = ("matplotlib", "llama_index.llms.openai_like", "llama_index.retrievers.bm25")


def require_eval_group(command: str) -> None:
    """ConfigError naming the missing packages when the evals group is not installed."""
    missing = [name for name in EVAL_MODULES if _absent(name)]
    if missing:
        raise ConfigError(
            f"`rag {command}` needs the evals dependency group ({', '.join(missing)} "
            "missing): install it with `make test`, or `uv sync --group evals`"
        )


def _absent(module: str) -> bool:
    try:
        return find_spec(module) is None
    except ModuleNotFoundError:  # a parent package of a dotted name is missing
        return True
