"""Pure rendering of bench records (results/<set>/*.jsonl) into the site's benchmark pages.

``render_all(results_dir, docs_dir)`` returns ``{path under docs/benchmarks/: bytes}``; nothing here writes files
(scripts/render_tables.py does). Every table carries a stable anchor ``<kind>-<set>-v<benchmark_version>``, the
IDs of the records behind it, a data digest and a BibTeX entry; see docs/benchmarks/index.md (generated) for the
rules of what is published.
"""

from benchtables.errors import TableError
from benchtables.render import GENERATED_MARK, render_all

__all__ = ["render_all", "TableError", "GENERATED_MARK"]
