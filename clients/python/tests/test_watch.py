import threading
import time
import unittest

from session_store import BadRequest, Gone

from .support import new_sid, require_server


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.client = require_server(self)

    def test_versions_in_order_then_the_delete(self):
        sid = new_sid("watch")
        text = "a state large enough for its changes to be stored as patches"
        self.client.save(sid, {"n": 0, "text": text})
        changes = self.client.watch(sid, after=0)
        first = next(changes)
        self.assertEqual((first["event"], first["version"]), ("version", 1))
        self.assertEqual(first["patch"], [{"op": "add", "path": "", "value": {"n": 0, "text": text}}])
        # The generator waits between next() calls; what is written meanwhile is not lost.
        self.client.save(sid, {"n": 1, "text": text}, message="one")
        self.client.patch(sid, [{"op": "add", "path": "/m", "value": 2}])
        second, third = next(changes), next(changes)
        self.assertEqual((second["version"], second["message"]), (2, "one"))
        self.assertEqual((third["version"], third["kind"], third["patch"]), (3, "patch", [{"op": "add", "path": "/m", "value": 2}]))
        self.client.delete(sid)
        deleted = next(changes)
        self.assertEqual((deleted["event"], deleted["purged"], deleted["version"]), ("deleted", False, 3))
        self.assertEqual(list(changes), [])
        with self.assertRaises(Gone):
            next(self.client.watch(sid))

    def test_resumes_by_itself_after_a_silent_connection(self):
        sid = new_sid("watch")
        self.client.save(sid, {"n": 0})
        # Silent longer than idle_timeout: each connection is taken as dead and resumed from version 1.
        changes = self.client.watch(sid, idle_timeout=0.3)
        writer = threading.Timer(1.0, lambda: [self.client.save(sid, {"n": n}) for n in (1, 2)])
        writer.start()
        try:
            started = time.monotonic()
            self.assertEqual([next(changes)["version"], next(changes)["version"]], [2, 3])
            self.assertGreater(time.monotonic() - started, 0.9)
        finally:
            writer.join()
            changes.close()

    def test_a_start_beyond_the_head_is_refused(self):
        sid = new_sid("watch")
        self.client.save(sid, {"n": 0})
        with self.assertRaises(BadRequest) as refused:
            next(self.client.watch(sid, after=5))
        self.assertIn("beyond the head", refused.exception.detail)
