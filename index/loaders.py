"""Read article files (.txt .md .html .pdf .jsonl) into Article records."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import LoaderError
from rag.types import Article

from .dates import normalise_published
from .encoding import decode_text
from .html import html_text, read_page
from .ids import doc_id_for, sha256_hex

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
_MAX_TITLE_CHARS = 200
_DATE_LINE = re.compile(r"(?i)date\s*:\s*(\S.*)")
_DATE_LINE_WITHIN = 5


@dataclass(frozen=True)
class LoadedFile:
    """The articles one file yielded and the problems met inside it (e.g. bad JSONL lines)."""

    articles: list[Article]
    warnings: list[str]


def make_article(
    source: str,
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    author: str | None = None,
    site: str | None = None,
) -> Article:
    return Article(
        doc_id=doc_id_for(source),
        source=source,
        text=text,
        title=title or first_line_title(text),
        url=url,
        published=published,
        author=author,
        site=site,
        sha256=sha256_hex(text),
    )


def first_line_title(text: str) -> str | None:
    """News files put the headline on the first line (BBC, the samples)."""
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= _MAX_TITLE_CHARS else None
    return None


def _load_text(data: bytes, source: str, _max_bytes: int) -> LoadedFile:
    text = decode_text(data, source)
    raw_date = _date_line(text)
    published = normalise_published(raw_date)
    warnings = [_unreadable_date(source, raw_date)] if raw_date and not published else []
    return LoadedFile([make_article(source, text, published=published)], warnings)


def _date_line(text: str) -> str | None:
    """The date of a leading ``Date: …`` line (among the first lines, as an export of a
    news archive writes it beside ``Title:`` or ``By:``); the line stays in the text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:_DATE_LINE_WITHIN]
    return next((m.group(1).strip() for ln in lines if (m := _DATE_LINE.match(ln))), None)


def _unreadable_date(source: str, raw: str) -> str:
    return f"{source}: publication date '{raw}' not readable"


def _load_html(data: bytes, source: str, _max_bytes: int) -> LoadedFile:
    page = read_page(html_text(data, source), source)
    article = make_article(source, page.text, **page.metadata())
    return LoadedFile([article], [f"{source}: {warning}" for warning in page.warnings])


def _load_pdf(data: bytes, source: str, max_bytes: int) -> LoadedFile:
    from pypdf import PdfReader  # imported here: only PDF files need it

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = []
        expanded = 0
        for page in reader.pages:
            expanded += _content_bytes(page)
            if expanded > max_bytes:
                raise LoaderError(
                    source, f"PDF content expands past the size limit (> {max_bytes} bytes)"
                )
            pages.append(page.extract_text() or "")
        meta_title = reader.metadata.title if reader.metadata else None
    except LoaderError:
        raise
    # pypdf fails on malformed files with more than its own errors (AssertionError,
    # OverflowError, LimitReachedError were seen): any of them is one unreadable file,
    # never a failed ingestion.
    except Exception as exc:
        raise LoaderError(source, f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoaderError(source, "PDF has no text layer (scanned image?)")
    return LoadedFile([make_article(source, text, title=meta_title)], [])


def _content_bytes(page: Any) -> int:
    """Decompressed size of a page's content streams.

    A few kilobytes of compressed operators can expand to megabytes that take pypdf
    minutes to parse (5 MB: 28 s here), and pages may share one stream: a small upload
    would cost unbounded time. Counted before extracting each page, held to the file
    size limit, a PDF costs no more than a plain file at that limit."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    return sum(len(stream.get_object().get_data()) for stream in streams)


def _jsonl_article(record: Any, source: str, warnings: list[str]) -> Article:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing 'text'")
    optional = {k: str(v) for k in ("title", "url", "author", "site") if (v := record.get(k))}
    raw_date = str(record["published"]) if record.get("published") else None
    published = normalise_published(raw_date)
    if raw_date and published is None:
        warnings.append(_unreadable_date(source, raw_date))
    return make_article(source, text, published=published, **optional)


def _load_jsonl(data: bytes, source: str, _max_bytes: int) -> LoadedFile:
    articles: list[Article] = []
    warnings: list[str] = []
    for lineno, line in enumerate(decode_text(data, source).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            articles.append(_jsonl_article(json.loads(line), f"{source}#{lineno}", warnings))
        except ValueError as exc:
            warnings.append(f"{source}:{lineno}: skipped line ({exc})")
        except RecursionError:  # json nests by recursion: '[[[[…' would end the ingestion
            warnings.append(f"{source}:{lineno}: skipped line (JSON nested too deeply)")
    if not articles:
        raise LoaderError(source, "no article lines with 'text'")
    return LoadedFile(articles, warnings)


# Each takes (content, source, max_bytes): the limit also bounds what a file expands to.
_LOADERS: dict[str, Callable[[bytes, str, int], LoadedFile]] = {
    ".txt": _load_text,
    ".md": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".jsonl": _load_jsonl,
}


def load_bytes(data: bytes, source: str, max_bytes: int) -> LoadedFile:
    """Parse one file's content; ``source`` names it and picks the format by suffix."""
    loader = _LOADERS.get(Path(source).suffix.lower())
    if loader is None:
        raise LoaderError(source, f"unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
    if len(data) > max_bytes:
        raise LoaderError(source, f"file too large ({len(data)} bytes > {max_bytes})")
    return loader(data, source, max_bytes)


def load_file(path: Path, source: str, max_bytes: int) -> LoadedFile:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoaderError(source, f"file too large ({size} bytes > {max_bytes})")
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(source, f"cannot read ({exc.strerror or exc})") from exc
    return load_bytes(data, source, max_bytes)


def _link_problem(path: Path, root: Path) -> str | None:
    """Why the link ``path`` must not be followed, or None when it stays inside ``root``."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # no target, or a loop (RuntimeError before 3.13)
        return "refused: a broken link"
    if not resolved.is_relative_to(root):
        return f"refused: a link leading outside the folder (to {resolved})"
    return None


def iter_files(target: Path, refused: list[str] | None = None) -> Iterator[tuple[Path, str]]:
    """Yield (path, source) for every supported file under ``target``, sorted.

    ``source`` is the path relative to the folder named (just the name for a file),
    with '/' separators. Hidden entries are skipped. Links to files or folders outside
    the folder are never followed: naming a folder must not index what it points to
    (a home folder, /etc). Each is named, with the reason, in ``refused`` (the ingest
    report's ``skipped``), so a user sees why a file they expected is missing.
    """
    if target.is_file():
        yield target, target.name
        return
    if not target.is_dir():
        raise LoaderError(str(target), "no such file or folder")
    root = target.resolve()
    for path in sorted(target.rglob("*")):
        rel = path.relative_to(target)
        if any(part.startswith(".") for part in rel.parts):
            continue
        wanted = path.suffix.lower() in SUPPORTED_SUFFIXES
        # rglob does not descend into linked folders; files reached by following one
        # would otherwise be missing without a word.
        if path.is_symlink() and (wanted or path.is_dir()):
            problem = _link_problem(path, root)
            if problem is not None:
                if refused is not None:
                    refused.append(f"{rel.as_posix()}: {problem}")
                continue
        if wanted and path.is_file():
            yield path, rel.as_posix()
