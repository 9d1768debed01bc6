"""Stage the site's browser runtime into a built site (stdlib only; the MkDocs hook calls ``stage``).

Copies, from the npm packages pinned in ``web/package-lock.json``:

- ``<site>/pyodide/``: the four Pyodide runtime files (``pyodide.mjs``, ``pyodide.asm.mjs``, ``pyodide.asm.wasm``,
  ``python_stdlib.zip``), our wheels under content-addressed folders (``wheels/<sha256[:16]>/<file>.whl``), and a
  trimmed ``pyodide-lock.json`` that lists only those wheels with their sha256 (the browser checks it as SRI);
- ``<site>/vendor/katex/``: KaTeX's minified script, stylesheet, auto-render and woff2 fonts.

Wheels: the ``cookbook`` wheel built by ``python -m build --wheel`` into ``dist/`` (rebuilt here when missing or
older than a source file), and ``cookbook_page``, a wheel of ``hooks/cookbook_page.py`` (the HTML renderer shared
by the build and the in-page worker), built here deterministically with ``zipfile``.

Standalone: ``python scripts/stage_pyodide.py site`` works after any static-site build, with or without MkDocs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
PYODIDE_DIR = WEB / "node_modules" / "pyodide"
KATEX_DIR = WEB / "node_modules" / "katex" / "dist"
DIST = ROOT / "dist"
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
PAGE_MODULE = ROOT / "hooks" / "cookbook_page.py"
PAGE_VERSION = "0.1.0"
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js")

__all__ = ["stage", "pinned_version", "page_wheel_bytes", "cookbook_wheel"]


class StageError(RuntimeError):
    """The runtime cannot be staged; the message says which command fixes it."""


def pinned_version(package: str) -> str:
    """The exact version of an npm package pinned in web/package-lock.json."""
    lock = json.loads((WEB / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def _installed_version(pkg_dir: pathlib.Path) -> str | None:
    p = pkg_dir / "package.json"
    return json.loads(p.read_text())["version"] if p.exists() else None


def _check_npm(package: str, pkg_dir: pathlib.Path) -> None:
    want, have = pinned_version(package), _installed_version(pkg_dir)
    if have != want:
        raise StageError(f"{package} {want} is pinned in web/package-lock.json but {have or 'nothing'} is installed "
                         f"in web/node_modules; run `npm ci --prefix web --ignore-scripts`")


def cookbook_wheel() -> pathlib.Path:
    """dist/cookbook-*.whl, rebuilt with ``python -m build`` when missing or older than a source file."""
    wheels = sorted(DIST.glob("cookbook-*-py3-none-any.whl"))
    newest_src = max(p.stat().st_mtime for p in [*(ROOT / "cookbook").rglob("*.py"), ROOT / "pyproject.toml"])
    if len(wheels) == 1 and wheels[0].stat().st_mtime >= newest_src:
        return wheels[0]
    shutil.rmtree(DIST, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(DIST), str(ROOT)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise StageError(f"building the cookbook wheel failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    wheels = sorted(DIST.glob("cookbook-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise StageError(f"expected one cookbook wheel in {DIST}, found {[w.name for w in wheels]}")
    return wheels[0]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def page_wheel_bytes() -> bytes:
    """A py3-none-any wheel holding hooks/cookbook_page.py; byte-identical for identical sources."""
    import io
    dist_info = f"cookbook_page-{PAGE_VERSION}.dist-info"
    files = {
        "cookbook_page.py": PAGE_MODULE.read_bytes(),
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: cookbook-page\nVersion: {PAGE_VERSION}\n"
                                  "Summary: HTML for the cookbook site's calculators\n").encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: stage_pyodide\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
        f"{dist_info}/top_level.txt": b"cookbook_page\n",
    }
    record = "\n".join([_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]) + "\n"
    files[f"{dist_info}/RECORD"] = record.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def _lock_entry(name: str, version: str, file_name: str, data: bytes, imports: list) -> dict:
    return {"name": name, "version": version, "file_name": file_name, "install_dir": "site",
            "sha256": hashlib.sha256(data).hexdigest(), "package_type": "package", "imports": imports,
            "depends": [], "unvendored_tests": False, "shared_library": False}


def _put_wheel(out: pathlib.Path, file_name: str, data: bytes) -> str:
    rel = f"wheels/{hashlib.sha256(data).hexdigest()[:16]}/{file_name}"
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(data)
    return rel


def stage(site_dir) -> dict:
    """Stage the runtime into ``site_dir``; returns the lock written."""
    site_dir = pathlib.Path(site_dir)
    _check_npm("pyodide", PYODIDE_DIR)
    _check_npm("katex", KATEX_DIR.parent)
    out = site_dir / "pyodide"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for f in RUNTIME_FILES:  # copyfile: a fresh mtime, so heuristic HTTP caching stays short after an upgrade
        shutil.copyfile(PYODIDE_DIR / f, out / f)
    wheel = cookbook_wheel()
    wheel_bytes = wheel.read_bytes()
    version = wheel.name.split("-")[1]
    page = page_wheel_bytes()
    page_name = f"cookbook_page-{PAGE_VERSION}-py3-none-any.whl"
    info = json.loads((PYODIDE_DIR / "pyodide-lock.json").read_text())["info"]
    lock = {"info": info, "packages": {
        "cookbook": _lock_entry("cookbook", version, _put_wheel(out, wheel.name, wheel_bytes), wheel_bytes,
                                ["cookbook"]),
        "cookbook-page": _lock_entry("cookbook-page", PAGE_VERSION, _put_wheel(out, page_name, page), page,
                                     ["cookbook_page"]),
    }}
    (out / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    _stage_katex(site_dir / "vendor" / "katex")
    return lock


def _stage_katex(out: pathlib.Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    (out / "fonts").mkdir(parents=True)
    (out / "contrib").mkdir()
    for f in KATEX_FILES:
        shutil.copyfile(KATEX_DIR / f, out / f)
    for font in sorted((KATEX_DIR / "fonts").glob("*.woff2")):  # every browser we target takes woff2 first
        shutil.copyfile(font, out / "fonts" / font.name)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python scripts/stage_pyodide.py SITE_DIR", file=sys.stderr)
        return 2
    try:
        lock = stage(args[0])
    except StageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for p in lock["packages"].values():
        print(f"staged {p['file_name']} sha256={p['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
