import os
from types import SimpleNamespace

import pytest

# Quiet TensorFlow's start-up logging in the tests that import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: The work units of ``make test``'s two pytest-xdist workers that are more than one file; each unit runs on one worker,
#: in collection order, and any other file is a unit of its own. ``notebooks``: every notebook (a notebook's cells
#: share one kernel, and notebooks 02 and 04 read what notebook 01 writes) and, before them, the two test modules that
#: rewrite or read ``generated/corpus/`` as notebook 01 writes it. ``served`` and ``serve_models``: the modules using
#: that session fixture (half a minute to make), so that it is made once.
GROUPS = {
    "test_selector.py": "notebooks",
    "test_sentence_encoder.py": "notebooks",
    "test_browser.py": "served",
    "test_serve_http.py": "served",
    "test_serve.py": "serve_models",
    "test_serve_fuzz.py": "serve_models",
}


def work_unit(nodeid: str) -> str:
    """The pytest-xdist work unit of a test id (see :data:`GROUPS`)."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return "notebooks" if name.endswith(".ipynb") else GROUPS.get(name, path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduling by file, with the files of :data:`GROUPS` together (its ``--dist loadgroup`` does not
    group on pytest 9.2: pytest-xdist issue 1386)."""
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return Grouped(config, log)


def pytest_collection_modifyitems(config, items):
    """A test module that uses a session fixture of :data:`GROUPS` must be in that group: otherwise each worker
    makes the fixture, and the server fixture's log is written by two processes."""
    for item in items:
        for fixture in ("served", "serve_models"):
            if fixture in getattr(item, "fixturenames", ()) and GROUPS.get(item.path.name) != fixture:
                raise pytest.UsageError(
                    f"{item.path.name} uses the {fixture} fixture: add it to GROUPS in tests/conftest.py"
                )


#: The ``--request-timeout`` of the shared server process (:func:`served`), in seconds.
SERVED_REQUEST_TIMEOUT = 1.0


@pytest.fixture(scope="session")
def served():
    """One server process started as users start it (``python -m helpers.serve run`` on a free port, without the text
    generators), a request due within ``SERVED_REQUEST_TIMEOUT`` s of its first byte: the HTTP layer's tests time slow
    clients against that deadline, and a browser sends each request whole. Shared by every test module that talks to
    a real server, because starting one (loading and warming up the zoo) takes about half a minute. Gives ``url``,
    ``log`` (its log file) and ``request_timeout``."""
    from helpers import paths
    from helpers.serve import start_in_background

    log = paths.generated("logs", "test_server.log")
    arguments = ["--generators", "", "--request-timeout", str(SERVED_REQUEST_TIMEOUT)]
    process, url = start_in_background(arguments, log_path=log)
    try:
        yield SimpleNamespace(url=url, log=log, request_timeout=SERVED_REQUEST_TIMEOUT)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def serve_models():
    """The server's models (every zoo model and both text generators, warmed up), loaded once for the test modules
    that serve the app in-process: loading them takes about 20 s."""
    from helpers import serve
    from helpers.setup import check_versions

    check_versions()
    return serve.Models.load(progress=lambda *_: None)


@pytest.fixture(scope="session")
def zoo_suggester():
    """``EmojiSuggester.from_zoo()``, loaded once for the tests that read it (each load takes about 3 s); tests change
    it only through its ``with_*`` methods, which return copies."""
    from helpers.emoji_suggest import EmojiSuggester

    return EmojiSuggester.from_zoo()
