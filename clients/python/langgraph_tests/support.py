import os
import unittest

from session_store import Client

BASE_URL = os.environ.get("SST_BASE_URL")
TOKEN = os.environ.get("SST_TOKEN")

needs_store = unittest.skipUnless(BASE_URL and TOKEN, "SST_BASE_URL and SST_TOKEN name a running store")


def client() -> Client:
    return Client(BASE_URL, TOKEN)
