"""cookbook/ imports only the standard library and supports CPython >= 3.10."""

import ast
import pathlib
import sys

import pytest

PKG = pathlib.Path(__file__).resolve().parent.parent / "cookbook"
FILES = sorted(PKG.rglob("*.py"))


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path), feature_version=(3, 10))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_package_has_files():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_only_stdlib_imports(path):
    """Every import is the package itself or a standard-library module (and parses as Python 3.10)."""
    bad = {m for m in _imports(path) if m != "cookbook" and m not in sys.stdlib_module_names}
    assert not bad, f"{path.name} imports non-stdlib modules {sorted(bad)}"


def test_requires_python_310():
    text = (PKG.parent / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in text
