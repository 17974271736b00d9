"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis): no input may cause a 5xx.

Bounded: at most MAX_EXAMPLES generated requests per operation, valid and invalid ones
(wrong types, out-of-range numbers, missing fields, odd strings).
"""

import json

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from helpers import serve  # noqa: E402
from helpers.messenger import MessengerConfig  # noqa: E402

MAX_EXAMPLES = 25
# The schema is read at import time, from the app itself: `schemathesis.openapi.from_asgi` would fetch /openapi.json
# through the app and so start it, which loads every model (about 40 s) before the fixture below hands it the ones
# the other modules share. The app starts at the first generated request, with those models. (A copy of the schema:
# FastAPI hands out the dict it serves at /openapi.json, which schemathesis must not change.)
APP = serve.create_app(serve.Settings(rate=0, messenger=MessengerConfig()))
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(APP.openapi())))
schema.app, schema.location = APP, "/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def models(serve_models):
    APP.state.service.models = serve_models  # every zoo model and both generators, loaded once (conftest.py)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:  # every error is JSON with a message
        assert response.json()["error"]["message"]
