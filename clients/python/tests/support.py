"""Shared set-up: the server under test (started by the project's test suite) and its key."""
import os
import unittest
import uuid

from session_store import Client

BASE_URL = os.environ.get("SST_BASE_URL")
TOKEN = os.environ.get("SST_TOKEN")


def require_server(case: unittest.TestCase) -> Client:
    if not BASE_URL or not TOKEN:
        raise unittest.SkipTest("SST_BASE_URL and SST_TOKEN are not set (npm test sets them)")
    return Client(BASE_URL, TOKEN, retries=2, backoff=0.01)


def new_sid(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


try:
    import pandas  # noqa: F401

    HAVE_PANDAS = True
except ImportError:  # pragma: no cover - depends on the machine
    HAVE_PANDAS = False
