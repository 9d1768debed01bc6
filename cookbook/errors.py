"""The one exception type for bad input."""

__all__ = ["CookbookError"]


class CookbookError(ValueError):
    """Bad input: the message names the field, the value and the fix."""
