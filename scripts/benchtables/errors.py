"""The one error type of the table scripts (bad or unpublishable input); the CLI turns it into one stderr line."""


class TableError(Exception):
    """Records that cannot be rendered (invalid, duplicated IDs, FLOPs that disagree with the package)."""
