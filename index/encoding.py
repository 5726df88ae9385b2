"""Turn a file's bytes into text, guessing the encoding the way a reader would."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from rag.errors import LoaderError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Characters that never occur in prose; a text dense with them is a binary file.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f", "\v"}
_MAX_CONTROL_RATIO = 0.01


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 written without a BOM: NULs (the high byte of ASCII spaces and punctuation)
    fall on one byte parity only; binary data has them on both."""
    if len(data) % 2:
        return None
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    if even_nuls and odd_nuls:
        return None
    codec = "utf-16-le" if odd_nuls else "utf-16-be"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    readable = sum(1 for ch in text if ch.isprintable() or ch.isspace())
    return text if readable >= 0.98 * len(text) else None


def _guess(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec)
    if b"\x00" in data:
        return _utf16_without_bom(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    return None if best is None else str(best)


def decode_text(data: bytes, path: str) -> str:
    """Decode ``data`` (UTF-8/16/32 with or without BOM, cp1251, latin-1, ...) or raise."""
    if not data.strip():
        raise LoaderError(path, "empty file")
    text = _guess(data)
    if text is None:
        raise LoaderError(path, "binary or undecodable content")
    control = sum(1 for ch in text[:20000] if ch in _CONTROL)
    if control > _MAX_CONTROL_RATIO * min(len(text), 20000):
        raise LoaderError(path, "binary content (control characters)")
    return text
