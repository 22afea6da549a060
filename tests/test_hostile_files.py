"""One file at a time: the reading limits (size, PDF pages, HTML depth, extracted text) and safe names."""

from __future__ import annotations

import json

import pytest

from conftest import make_pdf

from qabot.readers.html import extract_html, nesting_depth
from qabot.render import json_line, safe_source_name
from qabot.scan import ReadLimits, scan_folder
from qabot.sources import read_document, read_sources


def test_a_file_over_the_size_cap_is_skipped_by_the_scan_and_refused_by_the_reader(tmp_path):
    (tmp_path / "small.txt").write_text("A small note about herons.", encoding="utf-8")
    (tmp_path / "big.txt").write_text("word " * 30_000, encoding="utf-8")  # 150 kB
    limits = ReadLimits(max_file_bytes=100_000)
    scan = scan_folder(tmp_path, limits)
    assert [p.name for p in scan.files] == ["small.txt"]
    assert dict(scan.skipped)["big.txt"] == "too large: 0.15 MB (the limit is 0.1 MB, setting reading.max_file_mb)"
    with pytest.raises(ValueError, match="too large"):  # a file that grew after the scan
        read_document(tmp_path / "big.txt", "big.txt", limits=limits)


def test_a_pdf_over_the_page_cap_is_skipped_and_one_under_it_is_read(tmp_path):
    make_pdf(tmp_path / "book.pdf", [f"Chapter {n}. The river rose again that spring." for n in range(1, 31)])
    make_pdf(tmp_path / "leaflet.pdf", ["Opening hours of the library.", "The reading room closes at six."])
    scan = read_sources(tmp_path, ReadLimits(max_pdf_pages=20))
    assert [d.source for d in scan.documents] == ["leaflet.pdf"]
    assert dict(scan.skipped)["book.pdf"] == "too many pages: 30 (the limit is 20, setting reading.max_pdf_pages)"
    assert len(read_sources(tmp_path).documents) == 2  # under the default cap both are read


def test_pdf_text_past_the_extracted_size_cap_is_refused(tmp_path):
    make_pdf(tmp_path / "long.pdf", ["Lorem ipsum dolor sit amet, consectetur adipiscing. " * 40] * 3)
    with pytest.raises(ValueError, match="max_extracted_chars"):
        read_document(tmp_path / "long.pdf", "long.pdf", limits=ReadLimits(max_extracted_chars=3000))


def test_deeply_nested_html_is_refused_before_parsing():
    hostile = "<html><body>" + "<div>" * 5000 + "<p>Words at the bottom of the well.</p></body></html>"
    assert nesting_depth(hostile, 512) > 512
    with pytest.raises(ValueError, match="nested more than 512 elements deep"):
        extract_html(hostile)
    shallow = "<html><body>" + "<div>" * 100 + "<p>Words near the top.</p>" + "</div>" * 100 + "</body></html>"
    assert extract_html(shallow).text == "Words near the top."


@pytest.mark.parametrize("page, deep", [
    ("<p>An old page, paragraphs never closed." * 3000, False),
    ("<ul>" + "<li>item" * 3000 + "</ul>", False),
    ("<svg>" + '<path d="M0 0"/>' * 3000 + "</svg><p>text", False),
    ("<script>" + "var s = '<div>';" * 3000 + "</script><p>text", False),
    ("<!--" + "<div>" * 3000 + "--><p>text", False),
    ("<div>text</div>" * 3000, False),
    ("<div></span>" * 3000, True),  # stray end tags do not close anything
    ("<div/>" * 3000, True),  # '/>' does not close an HTML element
    ("<b>" * 3000 + "text", True),
])
def test_nesting_depth_counts_what_a_parser_would_nest(page, deep):
    assert (nesting_depth(page, 512) > 512) is deep


def test_html_text_past_the_extracted_size_cap_is_refused():
    page = "<html><body>" + "<p>Paragraph about the tides and the moon.</p>" * 200 + "</body></html>"
    assert len(extract_html(page).text) > 5000
    with pytest.raises(ValueError, match="max_extracted_chars"):
        extract_html(page, ReadLimits(max_extracted_chars=5000))


def test_html_blocks_inside_blocks_are_read_once_in_document_order():
    page = "<body><div><p>One.</p><blockquote><p>Two.</p></blockquote><div><li>Three.</li></div></div><p>Four.</p></body>"
    assert extract_html(page).text == "One.\n\nTwo.\n\nThree.\n\nFour."


@pytest.mark.parametrize("name, shown", [
    ("report.pdf", "report.pdf"),
    ("café notes.md", "café notes.md"),
    ("bad\nname\x1b[31m.txt", "bad\\nname\\x1b[31m.txt"),
    ("invoice\u202egpj.exe", "invoice\\u202egpj.exe"),  # a right-to-left override would reverse the end
    ("tab\there\r.txt", "tab\\there\\r.txt"),
    ("bytes\udcff.txt", "bytes\\udcff.txt"),  # a name that is not UTF-8, as Python decodes it
    ("line\u2028break.txt", "line\\u2028break.txt"),
])
def test_file_names_are_shown_on_one_printable_line(name, shown):
    assert safe_source_name(name) == shown
    assert safe_source_name(name).isprintable()


def test_json_lines_stay_one_valid_line_whatever_the_name_holds():
    data = {"source": "a\nb\u2028c\x85d\udcffé.txt"}
    line = json_line(data)
    assert line.splitlines() == [line] and "é" in line
    assert json.loads(line) == data
