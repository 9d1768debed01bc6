"""The numbers in the site's pages, computed by the cookbook package when the site is built.

Each chapter module (``params``, ``gemm``, ...) holds small functions that return Markdown (a table, a number, a
worked answer). A page asks for one with ``{{ module.function(args) }}``; ``docs_src.render`` replaces it at build
time (the MkDocs hook ``docs_src/mkdocs_hook.py``), and ``tests/test_docs.py`` renders every page the same way, so a
chapter that breaks fails the tests and prose can't drift from the package.
"""
