"""HTML: the main text only, one paragraph per block element, headings as sections.

Offsets point into this extracted text (stored in the index and shown by `qabot show`), not into
the HTML file. Boilerplate (nav, header, footer, aside, script, style, forms) is dropped; when the
page has a `<main>` or `<article>`, only that is read. selectolax (lexbor) does the parsing.
"""

from __future__ import annotations

from pathlib import Path

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


def _inside_block(node, root) -> bool:
    parent = node.parent
    while parent is not None and parent is not root and parent.mem_id != root.mem_id:
        if parent.tag in BLOCKS:
            return True
        parent = parent.parent
    return False


def extract_html(html: str) -> ExtractedText:
    """Main text of an HTML page as paragraphs separated by blank lines, with heading sections."""
    from selectolax.lexbor import LexborHTMLParser

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
    for node in root.css(", ".join(BLOCKS)):
        if _inside_block(node, root):
            continue
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
    if not parts:
        fallback = " ".join(root.text(separator=" ").split())
        parts = [fallback] if fallback else []
    text = "\n\n".join(parts)
    first_heading = sections[0].label if sections else None
    return ExtractedText(
        text=text,
        title=_meta(tree, _META_NAMES["title"]) or page_title or first_heading,
        author=_meta(tree, _META_NAMES["author"]),
        date=_meta(tree, _META_NAMES["date"]),
        sections=tuple(sections),
    )


def read_html(path: Path) -> ExtractedText:
    data = path.read_bytes()
    try:
        html = data.decode("utf-8")
    except UnicodeDecodeError:
        html = data.decode("latin-1")  # old pages without a charset: never fail on the bytes
    return extract_html(html)
