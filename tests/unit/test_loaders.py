"""Loading: every encoding a news folder holds, and every way a file can be unusable."""

from __future__ import annotations

import json
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
    ],
    ids=["zero-bytes", "whitespace", "random-bytes", "png"],
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
    assert article.title == "Pact in force"
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
