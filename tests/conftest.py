import os
from types import SimpleNamespace

import pytest

# Quiet TensorFlow's start-up logging in the tests that import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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


@pytest.fixture(scope="session")
def sense_suggester():
    """``EmojiSuggester.from_zoo(words=False)``: the zoo suggester with its moods part read from the sense cosines
    (learned from the 467, the default until its words reader), loaded once."""
    from helpers.emoji_suggest import EmojiSuggester

    return EmojiSuggester.from_zoo(words=False)


@pytest.fixture
def tf_log():
    """What TensorFlow's Python logger (``tf.get_logger()``: its retracing warning, for one) writes during the test, as
    a ``StringIO``."""
    import io
    import logging

    import tensorflow as tf

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    tf.get_logger().addHandler(handler)
    try:
        yield log
    finally:
        tf.get_logger().removeHandler(handler)
