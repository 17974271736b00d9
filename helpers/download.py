"""One download helper and one cache for every file the cookbook fetches from the web.

Data sets the cookbook can use are registered by name with their URL, sha256
and license (:data:`REGISTRY`). :func:`fetch` downloads into the cache
(``generated/cache``) with a progress bar, resumes an interrupted download
when the server allows it (else restarts cleanly), checks the sha256 (a
mismatch deletes the file and says so) and, on a cache hit, checks it again.
:func:`extract` unpacks zip and tar archives and refuses any member whose path
would land outside the target folder.

Taught in: 01_corpus_download (the Cornell Movie-Dialogs recipe).
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from . import paths


@dataclass(frozen=True)
class Source:
    """A registered downloadable file."""

    url: str
    sha256: str
    filename: str
    license: str
    description: str


REGISTRY: dict[str, Source] = {
    # sha256 as published with the Julia DataDeps registration of this URL; the machines this
    # cookbook is tested on have no internet access, so it was not re-checked there.
    "cornell-movie-dialogs": Source(
        url="http://www.cs.cornell.edu/~cristian/data/cornell_movie_dialogs_corpus.zip",
        sha256="3bde8a571f615201bc2d2453e22878090719638592f774720eddec739de8c900",
        filename="cornell_movie_dialogs_corpus.zip",
        license="see the corpus README (free for research use; Danescu-Niculescu-Mizil and Lee, 2011)",
        description="220,579 exchanges between 10,292 pairs of movie characters in 617 films (9.5 MB zip)",
    ),
}


class DownloadError(RuntimeError):
    """A download failed, or its checksum did not match."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def fetch(
    name_or_url: str,
    sha256: str | None = None,
    filename: str | None = None,
    cache: Path | None = None,
    progress: bool = True,
    timeout: float = 30,
) -> Path:
    """Return the cached path of a registered name (or URL), downloading it if needed.

    An unfinished download is kept as ``FILE.part`` and resumed with an HTTP
    Range request next time; a server that ignores Range, or answers with another range than
    the one asked for (``Content-Range``), gets a clean restart. The size must match the announced
    length; with no sha256 and no announced length the download is refused (a cut-off file could
    not be told from a whole one). A sha256 mismatch deletes the file and raises :class:`DownloadError`.
    Taught in: 01_corpus_download.
    """
    if name_or_url in REGISTRY:
        source = REGISTRY[name_or_url]
        url, sha256, filename = source.url, sha256 or source.sha256, filename or source.filename
    elif "://" in name_or_url:
        url = name_or_url
        filename = filename or url.rstrip("/").rsplit("/", 1)[-1]
    else:
        raise KeyError(f"{name_or_url!r} is neither a registered data set ({', '.join(REGISTRY)}) nor a URL")
    cache = Path(cache) if cache is not None else paths.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / filename
    if target.exists():
        if sha256 is None or _sha256(target) == sha256:
            return target
        target.unlink()  # a damaged cached copy: fetch it again
    partial = target.with_name(target.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # asked past the end: the .part is complete or wrong; start over
            partial.unlink()
            return fetch(url, sha256, filename, cache, progress, timeout)
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(
            f"{url}: cannot connect ({reason}); check your internet connection, or put the file at {paths.shown(target)} yourself"
        ) from None
    with response:
        status = getattr(response, "status", 200)
        resumed = bool(have) and status == 206
        if resumed:
            first, _ = _content_range(response.headers.get("Content-Range"))
            if first != have:  # another range than the one asked for (a 206 from byte 0): start over
                response.close()
                partial.unlink()
                return fetch(url, sha256, filename, cache, progress, timeout)
        already = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = already + int(length) if length and length.isdigit() else None
        bar = None
        if progress:
            bar = tqdm(total=total, initial=already, unit="B", unit_scale=True, desc=filename)
        try:
            with open(partial, "ab" if resumed else "wb") as out:
                while block := response.read(1 << 16):
                    out.write(block)
                    if bar is not None:
                        bar.update(len(block))
        except (OSError, urllib.error.URLError, http.client.HTTPException) as err:
            raise DownloadError(
                f"{url}: interrupted after {partial.stat().st_size} bytes ({type(err).__name__}); run again to resume"
            ) from None
        finally:
            if bar is not None:
                bar.close()
    size = partial.stat().st_size
    if total is not None and size < total:
        raise DownloadError(f"{url}: connection closed after {size} of {total} bytes; run again to resume")
    if total is not None and size > total:
        partial.unlink()
        raise DownloadError(
            f"{url}: got {size} bytes where the server announced {total}; the download was deleted, run again to retry"
        )
    if sha256 is None and total is None:
        partial.unlink()
        raise DownloadError(
            f"{url}: the server announced no length and no sha256 is known, so a cut-off file "
            "could not be told from a whole one; pass sha256= (or download it yourself)"
        )
    if sha256 is not None:
        actual = _sha256(partial)
        if actual != sha256:
            partial.unlink()
            raise DownloadError(
                f"{url}: sha256 mismatch (expected {sha256[:12]}..., got {actual[:12]}...); "
                "the damaged download was deleted, run again to retry"
            )
    partial.replace(target)
    return target


def _content_range(header: str | None) -> tuple[int | None, int | None]:
    """``"bytes 100-199/1000"`` -> ``(100, 1000)``; ``(None, None)`` when absent or unreadable."""
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", header or "")
    if not match:
        return None, None
    return int(match[1]), int(match[3]) if match[3] != "*" else None


def _check_member(target: Path, name: str) -> Path:
    destination = (target / name).resolve()
    if destination != target and target not in destination.parents:
        raise DownloadError(f"refusing to extract {name!r}: it would be written outside {target}")
    return destination


def extract(archive: str | Path, target: str | Path) -> Path:
    """Unpack a zip or tar archive into ``target``, refusing members that escape it.

    Every member is checked before anything is written, so a malicious archive
    leaves no partial output. Links inside tar files are refused too.
    Taught in: 01_corpus_download.
    """
    archive, target = Path(archive), Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member(target, info.filename)
            zf.extractall(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                _check_member(target, member.name)
                if member.issym() or member.islnk():
                    raise DownloadError(f"refusing to extract link {member.name!r} from {archive.name}")
                if not (member.isfile() or member.isdir()):
                    raise DownloadError(f"refusing to extract special file {member.name!r} from {archive.name}")
            tf.extractall(target, filter="data")
    else:
        raise DownloadError(f"{archive}: neither a zip nor a tar archive")
    return target


def clear(name: str, cache: Path | None = None) -> None:
    """Delete a registered file (and its partial download) from the cache."""
    cache = Path(cache) if cache is not None else paths.cache_dir()
    source = REGISTRY[name]
    for path in (cache / source.filename, cache / (source.filename + ".part")):
        if path.exists():
            path.unlink()
    folder = cache / Path(source.filename).stem
    if folder.is_dir():
        shutil.rmtree(folder)
