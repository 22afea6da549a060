"""HTML: the main text only, one paragraph per block element, headings as sections.

Offsets point into this extracted text (stored in the index and shown by `qabot show`), not into
the HTML file. Boilerplate (nav, header, footer, aside, script, style, forms) is dropped; when the
page has a `<main>` or `<article>`, only that is read. selectolax (lexbor) does the parsing.
Deep nesting is refused before parsing: lexbor's time grows with the square of the depth
(100,000 nested `<div>`s, 0.7 MB, take 30 s), so one hostile page could hang a build.
"""

from __future__ import annotations

import re
from pathlib import Path

from qabot.scan import ReadLimits, read_capped
from qabot.sources import ExtractedText, Section

BOILERPLATE = "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button"
BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "dt", "dd", "td", "th", "figcaption")
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_META_NAMES = {
    "author": ("author", "article:author", "dc.creator", "citation_author"),
    "date": ("date", "article:published_time", "dc.date", "citation_date", "citation_publication_date"),
    "title": ("og:title", "dc.title", "citation_title"),
}


def _meta(tree, names: tuple[str, ...]) -> str | None:
    for name in names:
        for attr in ("name", "property"):
            node = tree.css_first(f'meta[{attr}="{name}"]')
            content = node.attributes.get("content") if node else None
            if content and content.strip():
                return " ".join(content.split())
    return None


_RAW_TEXT = "script|style|textarea|title|xmp|iframe|noembed|noframes"  # their content is text, not tags
_NOT_TAGS = re.compile(rf"<(?:!--.*?(?:-->|\Z)|({_RAW_TEXT})\b[^>]*>.*?(?:</\1[\s/>]|\Z))", re.S)
_TAG = re.compile(r"<(/?)([a-z][^\s/>]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr basefont bgsound frame keygen".split())
_IMPLIED_END = frozenset("html head body p li dt dd option optgroup tr td th thead tbody tfoot colgroup caption rb rt rtc rp".split())
_NOT_COUNTED = _VOID | _IMPLIED_END


def nesting_depth(html: str, stop_above: int) -> int:
    """How deep the page's elements nest, read from the tags without parsing (stops once past `stop_above`).

    Elements whose end tag may be left out (p, li, td, …) are not counted, and an end tag closes
    only what it closes in a browser, so stray end tags cannot hide depth; nested tables and lists
    may read a few times shallower than they parse, far below the depths where parsing slows down.
    """
    if html.count("<") <= stop_above:
        return 0
    text = _NOT_TAGS.sub("", html.lower()).partition("<plaintext")[0]
    open_names: list[str] = []
    deepest = 0
    for closing, name, self_closing in _TAG.findall(text):
        if closing:
            if name in open_names:
                del open_names[len(open_names) - 1 - open_names[::-1].index(name):]
        elif name not in _NOT_COUNTED:
            if self_closing and ("svg" in open_names or "math" in open_names):
                continue  # only foreign (SVG, MathML) elements close themselves with '/>'
            open_names.append(name)
            if len(open_names) > deepest:
                deepest = len(open_names)
                if deepest > stop_above:
                    break
    return deepest


def _top_blocks(root):
    """Block elements below `root` in document order, except those inside another block (read with it)."""
    node = root.child
    while node is not None:
        if node.tag in BLOCKS:
            yield node
        elif node.child is not None:
            node = node.child
            continue
        while node is not None and node.next is None:
            node = node.parent
            if node is None or node.mem_id == root.mem_id:
                return
        node = node.next


def extract_html(html: str, limits: ReadLimits = ReadLimits()) -> ExtractedText:
    """Main text of an HTML page as paragraphs separated by blank lines, with heading sections."""
    from selectolax.lexbor import LexborHTMLParser

    if nesting_depth(html, limits.max_html_depth) > limits.max_html_depth:
        raise ValueError(f"HTML nested more than {limits.max_html_depth} elements deep (setting reading.max_html_depth)")
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    page_title = " ".join(title_node.text().split()) if title_node else None
    for node in tree.css(BOILERPLATE):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    if root is None:
        raise ValueError("no HTML body")
    parts: list[str] = []
    sections: list[Section] = []
    position = 0
    for node in _top_blocks(root):
        if node.tag == "pre":
            text = node.text(deep=True).strip("\n")
        else:
            text = " ".join(node.text(deep=True, separator="").split())
        if not text.strip():
            continue
        if parts:
            position += 2
        if node.tag in HEADINGS:
            sections.append(Section(position, text, "heading"))
        parts.append(text)
        position += len(text)
        if position > limits.max_extracted_chars:
            raise ValueError(_too_long(limits))
    if not parts:
        fallback = " ".join(root.text(separator=" ").split())
        parts = [fallback] if fallback else []
    text = "\n\n".join(parts)
    if len(text) > limits.max_extracted_chars:
        raise ValueError(_too_long(limits))
    first_heading = sections[0].label if sections else None
    return ExtractedText(
        text=text,
        title=_meta(tree, _META_NAMES["title"]) or page_title or first_heading,
        author=_meta(tree, _META_NAMES["author"]),
        date=_meta(tree, _META_NAMES["date"]),
        sections=tuple(sections),
    )


def _too_long(limits: ReadLimits) -> str:
    return f"extracted text longer than {limits.max_extracted_chars:,} characters (setting reading.max_extracted_chars)"


def read_html(path: Path, limits: ReadLimits = ReadLimits()) -> ExtractedText:
    data = read_capped(path, limits.max_file_bytes)
    try:
        html = data.decode("utf-8")
    except UnicodeDecodeError:
        html = data.decode("latin-1")  # old pages without a charset: never fail on the bytes
    return extract_html(html, limits)
