"""The text of a PDF, page after page, with pypdf, without its running headers and page numbers.

pypdf was chosen over pdfminer.six and pypdfium2 (see docs/knowledge.md): on the PDFs at hand
all three gave the same words, and pypdf is pure Python with no dependencies (4 MB installed,
against 28 MB with cryptography for pdfminer.six and a 9 MB native PDFium for pypdfium2),
at about 25 ms a page. The lines come out as the PDF lays them out; the chunker re-joins a
sentence broken over lines and pages. Here a page's edge lines that repeat on most pages (a
running header "Chapter 2: ASN.1 structure handling 3", digits aside) and bare page numbers
are dropped, bullets ("•") become Markdown list items, and a line that Markdown would read as
structure (a "#" comment, a "|" or a fence) is escaped, since the text is not Markdown.
"""

from __future__ import annotations

import io
import re
from collections import Counter

_MARKDOWN_LOOKALIKE = re.compile(r"^(\s{0,3})(#|>|\||```|~~~)")
_BULLET = re.compile(r"^\s*[•●▪◦‣∙]\s*")
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?\s*$")
_DIGITS = re.compile(r"\d+")
_EDGE_LINES = 2  # lines at the top and the bottom of a page where running headers stand


class PdfError(ValueError):
    """A PDF that pypdf cannot open or read (the caller names the file)."""


def pdf_text(data: bytes) -> tuple[str, str]:
    """``(title, text)``: the metadata title ("" when absent) and every page's text."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("the PDF is encrypted")
        pages = [(page.extract_text() or "").strip().split("\n") for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except PdfError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as error:
        raise PdfError(f"not a readable PDF ({type(error).__name__}: {error})") from error
    lines = [_as_markdown_line(line) for line in _without_page_furniture(pages)]
    return " ".join(str(title).split()), "\n".join(lines)


def _without_page_furniture(pages: list[list[str]]) -> list[str]:
    """Every page's lines, less page numbers and the edge lines repeated on most pages."""
    repeated = _running_lines(pages)
    kept: list[str] = []
    for lines in pages:
        for index, line in enumerate(lines):
            at_edge = index < _EDGE_LINES or index >= len(lines) - _EDGE_LINES
            if at_edge and (_PAGE_NUMBER.match(line) or _shape(line) in repeated):
                continue
            kept.append(line)
    return kept


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Edge lines (digits aside) found on at least half the pages, when there are three or more."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_shape(line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]}
        counts.update(shape for shape in edges if shape)
    return {shape for shape, count in counts.items() if count * 2 >= len(pages)}


def _shape(line: str) -> str:
    return _DIGITS.sub("0", " ".join(line.split()))


def _as_markdown_line(line: str) -> str:
    if _BULLET.match(line):
        return _BULLET.sub("- ", line, count=1)
    return _MARKDOWN_LOOKALIKE.sub(r"\1\\\2", line)
