"""MkDocs hook: compute the numbers of each page with the cookbook package at build time (docs_src.render).

Modules are imported once per process: restart ``mkdocs serve`` after editing docs_src/ or cookbook/.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mkdocs.exceptions import PluginError  # noqa: E402

from docs_src.render import DocsError, render  # noqa: E402


def on_page_markdown(markdown, page, config, files):
    try:
        return render(markdown, where=page.file.src_uri)
    except DocsError as e:
        raise PluginError(str(e)) from None
