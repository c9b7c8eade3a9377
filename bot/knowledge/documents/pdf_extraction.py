"""The text of a PDF, page after page, with pypdf.

pypdf was chosen over pdfminer.six and pypdfium2 (see docs/knowledge.md): on the PDFs at hand
all three gave the same words, and pypdf is pure Python with no dependencies (4 MB installed,
against 28 MB with cryptography for pdfminer.six and a 9 MB native PDFium for pypdfium2),
at about 25 ms a page. The lines come out as the PDF lays them out; the chunker re-joins a
sentence broken over lines and pages. A line that Markdown would read as structure (a "#"
comment, a "|" or a fence) is escaped, since the text is not Markdown.
"""

from __future__ import annotations

import io
import re

_MARKDOWN_LOOKALIKE = re.compile(r"^(\s{0,3})(#|>|\||```|~~~)", re.M)


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
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except PdfError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as error:
        raise PdfError(f"not a readable PDF ({type(error).__name__}: {error})") from error
    text = "\n".join(pages)
    return " ".join(str(title).split()), _MARKDOWN_LOOKALIKE.sub(r"\1\\\2", text)
