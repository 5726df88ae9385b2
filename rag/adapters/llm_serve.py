"""The managed LLM server's process: load the best CPU backend, then run llama-cpp-python's
OpenAI-compatible server with the arguments given (``python -m rag.adapters.llm_serve --model …``).

`rag.adapters.llm_server` starts this module instead of ``llama_cpp.server`` because the wheel's
CPU code is a set of per-instruction-set libraries that nothing else loads
(`rag.adapters.cpu_backend`).
"""

from __future__ import annotations

import sys

from ..errors import RagError
from .cpu_backend import load_best

# The line `rag llm-server status` and the log show; the loaded library is the proof
# (`rag.adapters.procinfo.mapped_files`), this is for people reading the log.
BANNER = "rag.adapters.llm_serve: CPU backend {name} (score {score}, {path})"


def main() -> None:
    try:
        backend = load_best()
    except RagError as exc:
        print(f"rag.adapters.llm_serve: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from exc
    print(BANNER.format(name=backend.name, score=backend.score, path=backend.path), flush=True)
    from llama_cpp.server.__main__ import main as serve

    sys.argv[0] = "llama_cpp.server"
    serve()  # type: ignore[no-untyped-call]  # llama-cpp-python's main is untyped


if __name__ == "__main__":
    main()
