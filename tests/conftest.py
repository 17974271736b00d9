import os
from types import SimpleNamespace

import pytest

# Quiet TensorFlow's start-up logging in the tests that import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: Test modules that read or rewrite ``generated/corpus/``, which the notebooks also write (in CI size) and read:
#: they run on the notebooks' worker, before them, as they did when one process ran everything.
READS_THE_CORPUS = {"test_selector.py", "test_sentence_encoder.py"}

#: The session fixtures that start a server or load every model (half a minute each): the test modules using one
#: run on one worker, so it is made once.
SHARED_SETUP = ("served", "serve_models")


def pytest_collection_modifyitems(config, items):
    """Groups for pytest-xdist's ``--dist loadgroup`` (``make test`` runs two workers): each group runs on one worker,
    in collection order. A notebook's cells share one kernel, and notebooks 02 and 04 read what notebook 01 writes, so
    every notebook is in one group, with the test modules of :data:`READS_THE_CORPUS`; each other test module is a
    group (its module fixtures are made once), except that the modules sharing a fixture of :data:`SHARED_SETUP` are
    one group. Without xdist the marks do nothing."""
    groups = {}
    for item in items:
        name = item.path.name
        if item.path.suffix == ".ipynb" or name in READS_THE_CORPUS:
            groups[name] = "notebooks"
        elif (
            groups.get(name, name) == name
        ):  # a module joins the group of the first shared fixture one of its tests uses
            groups[name] = next((f for f in SHARED_SETUP if f in getattr(item, "fixturenames", ())), name)
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.path.name]))


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
