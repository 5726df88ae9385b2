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
# Formats that a wrong extension can pass off as text. Most of them fail decoding anyway;
# a PDF or an RTF file does not (its header and operators are ASCII) and would be indexed
# as markup, so the content, not the name, decides. The name in the message tells the
# user what to rename or convert.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or .docx, .epub)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"\x7fELF", "a program"),
    (b"MZ\x90\x00", "a program"),
)
# Labels that mean windows-1252 on the web (the WHATWG Encoding Standard): pages
# declaring ISO-8859-1 use its curly quotes and euro sign, which latin-1 lacks.
_WEB_ALIASES = dict.fromkeys("iso-8859-1 iso8859-1 latin1 latin-1 us-ascii ascii".split(), "cp1252")
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


def _utf8_or_none(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _mixed_utf8(data: bytes) -> str | None:
    """A file pasted together from UTF-8 and a legacy encoding (a UTF-8 paragraph, then a
    cp1251 one): its UTF-8 lines as UTF-8, the others in the encoding guessed from them
    alone. Guessing one encoding for the whole file finds none, or garbles one part.

    Only when some line is UTF-8 beyond ASCII: a file in one legacy encoding throughout
    is left to the whole-file guess, which sees more text to judge by."""
    lines = [(line, _utf8_or_none(line)) for line in data.splitlines(keepends=True)]
    if not any(text is not None and not text.isascii() for _, text in lines):
        return None
    best = from_bytes(b"".join(line for line, text in lines if text is None)).best()
    if best is None:
        return None
    try:
        return "".join(
            text if text is not None else line.decode(best.encoding) for line, text in lines
        )
    except UnicodeDecodeError:
        return None


def _guess(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                # A UTF-8 BOM before a stray legacy line: guess the rest like any text.
                # A UTF-16/32 BOM on data that is not UTF-16/32 (truncated, or binary
                # starting with FF FE) is no text at all.
                if codec != "utf-8-sig":
                    return None
                data = data[len(bom) :]
                break
    if b"\x00" in data:
        return _utf16_without_bom(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if (mixed := _mixed_utf8(data)) is not None:
        return mixed
    best = from_bytes(data).best()
    return None if best is None else str(best)


def _declared(data: bytes, charset: str) -> str | None:
    """``data`` in the charset a web server or page declares, or None when that is no
    codec or the bytes do not fit it (a page mislabelled as UTF-8 is then guessed)."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None  # a byte order mark outranks any declaration, as in browsers
    try:
        return data.decode(_WEB_ALIASES.get(charset.strip().lower(), charset.strip()))
    except (LookupError, UnicodeDecodeError):
        return None


def decode_text(data: bytes, path: str, charset: str | None = None) -> str:
    """Decode ``data`` (UTF-8/16/32 with or without BOM, cp1251, latin-1, ...) or raise.

    ``charset``: what a web page's Content-Type or <meta> declares; used when the bytes
    fit it, since a guess can mistake one legacy encoding for another on short pages."""
    if not data.strip():
        raise LoaderError(path, "empty file")
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise LoaderError(path, f"binary content: this is {kind}, not text")
    text = _declared(data, charset) if charset else None
    if text is None:
        text = _guess(data)
    if text is None:
        raise LoaderError(path, "binary or undecodable content")
    # Blank once decoded: a BOM or UTF-16 spaces, or a lone NEL (U+0085), is no article.
    if not text.strip():
        raise LoaderError(path, "empty file")
    control = sum(1 for ch in text[:20000] if ch in _CONTROL)
    if control > _MAX_CONTROL_RATIO * min(len(text), 20000):
        raise LoaderError(path, "binary content (control characters)")
    return text
