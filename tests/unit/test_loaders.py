"""Loading: every encoding a news folder holds, and every way a file can be unusable."""

from __future__ import annotations

import gzip
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from index.loaders import iter_files, load_bytes, load_file
from rag.errors import LoaderError

pytestmark = pytest.mark.unit

RUSSIAN = "Президент России Владимир Путин встретился с лидером КНДР Ким Чен Ыном в Пхеньяне."
FRENCH = "Le traité est entré en vigueur après l’échange des documents à Moscou, déclaré café."
FRENCH_LATIN1 = FRENCH.replace("’", "'")
MAX = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (RUSSIAN.encode("utf-8"), RUSSIAN),
        (b"\xef\xbb\xbf" + RUSSIAN.encode("utf-8"), RUSSIAN),
        (RUSSIAN.encode("utf-16"), RUSSIAN),
        (RUSSIAN.encode("utf-16-le"), RUSSIAN),
        ((RUSSIAN + " " + RUSSIAN).encode("cp1251"), RUSSIAN + " " + RUSSIAN),
        (FRENCH_LATIN1.encode("latin-1"), FRENCH_LATIN1),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16-le-no-bom", "cp1251", "latin1"],
)
def test_encodings_decode_to_the_original_text(data: bytes, expected: str) -> None:
    article = load_bytes(data, "a.txt", MAX).articles[0]
    assert article.text == expected


def test_sample_articles_keep_their_quirks(sample_dir: Path) -> None:
    for path, source in iter_files(sample_dir):
        article = load_file(path, source, MAX).articles[0]
        assert article.text == path.read_bytes().decode("utf-8")
        assert article.source == path.name
    caption = load_file(sample_dir / "000_aff0d55bc72581f4.txt", "000.txt", MAX).articles[0]
    assert "Путін та Кім Чен Ин" in caption.text
    assert caption.title == "Defence agreement between Russia and North Korea comes into force"
    no_newline = (sample_dir / "001_a4b0b9614c74e4e8.txt").read_bytes()
    assert not no_newline.endswith(b"\n")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (bytes(range(256)) * 40, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(500), "binary"),
        (b"\xff\xfe\x00\x00ab", "undecodable"),
        (b"\xff\xfeabc", "undecodable"),
    ],
    ids=["zero-bytes", "whitespace", "random-bytes", "png", "utf32-bom-truncated", "utf16-bom-odd"],
)
def test_unusable_files_raise_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(LoaderError, match=reason) as info:
        load_bytes(data, "bad.txt", MAX)
    assert "bad.txt" in str(info.value)


def test_too_large_and_unknown_type_are_refused() -> None:
    with pytest.raises(LoaderError, match="too large"):
        load_bytes(b"x" * 101, "big.txt", 100)
    with pytest.raises(LoaderError, match="unsupported"):
        load_bytes(b"hello", "song.mp3", MAX)


def test_html_keeps_visible_text_only() -> None:
    html = b"""<html><head><title>Pact in force</title><style>p{color:red}</style>
    <meta property="article:published_time" content="2024-12-05"></head>
    <body><script>alert('HACKED')</script><h1>Headline</h1><p>The treaty took
    effect <b>Wednesday</b>.</p><noscript>enable js</noscript></body></html>"""
    article = load_bytes(html, "a.html", MAX).articles[0]
    assert "The treaty took effect Wednesday ." in article.text.replace("\n", " ") or (
        "Wednesday" in article.text
    )
    assert "alert" not in article.text and "color" not in article.text
    assert "enable js" not in article.text
    # The page's one <h1> is its headline (trafilatura): a <title> often adds the site's name.
    assert article.title == "Headline"
    assert article.published == "2024-12-05"


def test_jsonl_one_article_per_line_and_bad_lines_reported() -> None:
    lines = [
        json.dumps({"text": "First story.", "title": "One", "url": "http://x/1"}),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": "Second story.", "published": "2024-06-19"}),
    ]
    loaded = load_bytes("\n".join(lines).encode(), "feed.jsonl", MAX)
    assert [a.source for a in loaded.articles] == ["feed.jsonl#1", "feed.jsonl#4"]
    assert loaded.articles[0].title == "One" and loaded.articles[0].url == "http://x/1"
    assert loaded.articles[1].published == "2024-06-19"
    assert len(loaded.warnings) == 2 and "feed.jsonl:2" in loaded.warnings[0]


def test_pdf_text_layer_and_pdf_without_text(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "story.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Kim Jong Gyu exchanged ratification documents in Moscow.")
    pdf.save()
    article = load_file(path, "story.pdf", MAX).articles[0]
    assert "ratification documents" in article.text

    blank = tmp_path / "scan.pdf"
    empty = canvas.Canvas(str(blank))
    empty.rect(10, 10, 100, 100, fill=1)
    empty.save()
    with pytest.raises(LoaderError, match="no text layer"):
        load_file(blank, "scan.pdf", MAX)
    with pytest.raises(LoaderError, match="unreadable PDF"):
        load_bytes(b"%PDF-1.4 garbage", "broken.pdf", MAX)


def test_iter_files_gives_relative_posix_sources_and_skips_hidden(tmp_path: Path) -> None:
    for rel in ["business/001.txt", "sport/001.txt", ".git/x.txt", "notes.bin", "a.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("text")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret")
    (tmp_path / "link.txt").symlink_to(outside)
    sources = [source for _, source in iter_files(tmp_path)]
    assert sources == ["a.md", "business/001.txt", "sport/001.txt"]
    assert [s for _, s in iter_files(tmp_path / "a.md")] == ["a.md"]
    with pytest.raises(LoaderError, match="no such file"):
        list(iter_files(tmp_path / "missing"))


def _outside(tmp_path: Path, name: str) -> Path:
    """A place beside the ingested folder, holding an article nobody asked to ingest."""
    place = tmp_path / "outside" / name
    place.parent.mkdir(parents=True, exist_ok=True)
    return place


def test_links_leading_outside_the_folder_are_refused_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "kept.txt").write_text("An article.")
    (folder / "sub" / "inner.txt").write_text("Another article.")
    secret = _outside(tmp_path, "secret.txt")
    secret.write_text("Not for the index.")
    (folder / "to-file.txt").symlink_to(secret)
    (folder / "to-folder").symlink_to(secret.parent, target_is_directory=True)
    (folder / "broken.md").symlink_to(tmp_path / "missing.md")
    (folder / "to-inside.txt").symlink_to(folder / "kept.txt")
    refused: list[str] = []
    sources = [source for _, source in iter_files(folder, refused)]
    assert sources == ["kept.txt", "sub/inner.txt", "to-inside.txt"]
    assert sorted(r.split(":")[0] for r in refused) == ["broken.md", "to-file.txt", "to-folder"]
    assert all("refused" in r for r in refused)
    assert any("outside the folder" in r and str(secret.parent) in r for r in refused)


def test_deeply_nested_html_loads_without_recursion() -> None:
    depth = 50_000
    html = (
        b"<html><body>" + b"<div>" * depth + b"Deep text." + b"</div>" * depth + b"</body></html>"
    )
    assert load_bytes(html, "deep.html", MAX).articles[0].text == "Deep text."
    unclosed = b"<p>Open " + b"<div><span>" * depth
    assert load_bytes(unclosed, "open.html", MAX).articles[0].text == "Open"


@pytest.mark.parametrize(
    ("bom", "legacy", "codec"),
    [
        (b"", RUSSIAN, "cp1251"),
        (b"", FRENCH_LATIN1, "latin-1"),
        (b"\xef\xbb\xbf", RUSSIAN, "cp1251"),
    ],
    ids=["cp1251", "latin1", "utf8-bom-then-cp1251"],
)
def test_a_file_mixing_utf8_and_a_legacy_encoding_keeps_both(
    bom: bytes, legacy: str, codec: str
) -> None:
    utf8 = "Путін та Кім Чен Ин підписали угоду про всеосяжне стратегічне партнерство."
    data = bom + utf8.encode("utf-8") + b"\r\n\r\n" + legacy.encode(codec) + b"\n"
    assert load_bytes(data, "mixed.txt", MAX).articles[0].text == f"{utf8}\r\n\r\n{legacy}\n"


def _png() -> bytes:
    """A real 8x8 RGB PNG: signature, IHDR, compressed IDAT, IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    rows = b"".join(b"\x00" + bytes((x * 31 + y * 7) % 256 for x in range(24)) for y in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (_png(), "photo.txt", "PNG image"),
        (_png(), "photo.html", "PNG image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n", "doc.md", "PDF"),
        (gzip.compress(RUSSIAN.encode() * 20), "feed.jsonl", "gzip"),
        (b"{\\rtf1\\ansi Kim Jong Gyu exchanged the documents.}", "note.txt", "RTF"),
    ],
    ids=["png-as-txt", "png-as-html", "pdf-as-md", "gzip-as-jsonl", "rtf-as-txt"],
)
def test_a_wrong_extension_is_refused_by_content(data: bytes, name: str, kind: str) -> None:
    with pytest.raises(LoaderError, match=f"binary content: this is an? {kind}") as info:
        load_bytes(data, name, MAX)
    assert info.value.path == name


@pytest.mark.parametrize(
    "data",
    [" \n ".encode("utf-16"), b"\x00\x85", b"\xef\xbb\xbf \r\n"],
    ids=["utf16", "nel", "bom"],
)
def test_text_that_is_blank_once_decoded_is_empty(data: bytes) -> None:
    with pytest.raises(LoaderError, match="empty file"):
        load_bytes(data, "blank.txt", MAX)


def test_a_jsonl_line_nested_too_deeply_is_one_bad_line() -> None:
    lines = [b"[" * 100_000, json.dumps({"text": "A story."}).encode()]
    loaded = load_bytes(b"\n".join(lines), "feed.jsonl", MAX)
    assert [a.text for a in loaded.articles] == ["A story."]
    assert loaded.warnings == ["feed.jsonl:1: skipped line (JSON nested too deeply)"]


HELLO = b"BT /F1 12 Tf 72 720 Td (Kim Jong Gyu) Tj ET"


def _pdf(content: bytes, pages: int = 1) -> bytes:
    """A PDF whose ``pages`` all draw the same Flate-compressed content stream."""
    stream = zlib.compress(content, 9)
    font = (
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    )
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R " + font + b" /Contents 3 0 R >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_handmade_pdf_reads() -> None:
    text = load_bytes(_pdf(HELLO, pages=2), "a.pdf", MAX).articles[0].text
    assert text == "Kim Jong Gyu\n\nKim Jong Gyu"


@pytest.mark.parametrize(
    ("content", "pages"),
    [(b"BT /F1 12 Tf 72 720 Td (Hi) Tj ET" + b" " * 3_000_000, 1), (b"(x) Tj " * 20_000, 40)],
    ids=["one-stream", "shared-by-pages"],
)
def test_a_pdf_expanding_past_the_size_limit_is_refused(content: bytes, pages: int) -> None:
    data = _pdf(content, pages)
    assert len(data) < 20_000
    with pytest.raises(LoaderError, match="expands past the size limit"):
        load_bytes(data, "bomb.pdf", 1024 * 1024)


# Each made pypdf raise something other than its own errors (OverflowError,
# AssertionError, LimitReachedError), which used to end the whole ingestion.
@pytest.mark.parametrize(
    "data",
    [
        re.sub(rb"startxref\n\d+", b"startxref\n" + b"9" * 30, _pdf(HELLO)),
        _pdf(HELLO.replace(b"(Kim Jong Gyu)", b"1 0 R")),
        _pdf(HELLO.replace(b"12 Tf", b"1" * 100 + b" Tf")),
    ],
    ids=["overflowing-xref", "reference-in-content", "endless-number"],
)
def test_malformed_pdfs_are_unreadable_not_a_crash(data: bytes) -> None:
    with pytest.raises(LoaderError, match="unreadable PDF"):
        load_bytes(data, "bad.pdf", MAX)
