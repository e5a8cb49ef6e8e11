import datetime as dt
import decimal
import http.server
import threading
import time
import unittest
import urllib.request

from session_store import Client, ConnectionFailed, encode, Gone, NotFound, PreconditionFailed, Unauthorized, Unprocessable, BadRequest

from .support import BASE_URL, new_sid, require_server


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.client = require_server(self)

    def test_save_load_history_diff_restore_fork_delete(self):
        sid = new_sid()
        first = self.client.save(sid, {"step": 1, "when": dt.date(2026, 1, 1)}, message="first", author="tester")
        self.assertEqual((first["version"], first["changed"]), (1, True))
        second = self.client.save(sid, {"step": 2, "when": dt.date(2026, 1, 2), "price": decimal.Decimal("9.99")}, expected_version=1)
        self.assertEqual(second["version"], 2)
        unchanged = self.client.save(sid, {"step": 2, "when": dt.date(2026, 1, 2), "price": decimal.Decimal("9.99")})
        self.assertEqual((unchanged["version"], unchanged["changed"]), (2, False))

        self.assertEqual(self.client.load(sid), {"step": 2, "when": dt.date(2026, 1, 2), "price": decimal.Decimal("9.99")})
        self.assertEqual(self.client.load(sid, version=1), {"step": 1, "when": dt.date(2026, 1, 1)})
        self.assertEqual(self.client.load_versioned(sid, at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)).version, 2)

        items = list(self.client.iter_history(sid, page_size=1))
        self.assertEqual([item["version"] for item in items], [2, 1])
        self.assertEqual((items[1]["message"], items[1]["author"]), ("first", "tester"))
        self.assertEqual(self.client.version(sid, 2)["version"], 2)
        self.assertIn({"op": "replace", "path": "/step", "value": 2}, self.client.diff(sid, 1, 2))

        patched = self.client.patch(sid, [{"op": "replace", "path": "/step", "value": 3}])
        self.assertEqual(patched["kind"], "patch")
        restored = self.client.restore(sid, version=1, message="undo")
        self.assertEqual(restored["restored_from"], 1)
        self.assertEqual(self.client.load(sid), {"step": 1, "when": dt.date(2026, 1, 1)})

        copy = new_sid("copy")
        self.assertEqual(self.client.fork(sid, copy, version=2)["forked_from"], {"session_id": sid, "version": 2})
        self.assertIn(copy, [item["session_id"] for item in self.client.list_sessions(prefix="copy-")["items"]])
        self.client.delete(copy)
        with self.assertRaises(Gone):
            self.client.load(copy)
        self.client.delete(copy, purge=True)
        with self.assertRaises(NotFound):
            self.client.load(copy)
        self.assertFalse(self.client.exists(copy))

    def test_an_already_encoded_state_is_saved_as_it_is_without_changing_the_client(self):
        state = {"when": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "price": decimal.Decimal("9.99")}
        sid = new_sid()
        self.client.save(sid, encode(state), encoded=True)
        self.assertEqual(self.client.load(sid), state)  # encoded once, not twice
        self.assertTrue(self.client.codec)
        # Without encoded=True the tagged objects are data, escaped so they come back as saved.
        self.client.save(sid, encode(state))
        self.assertEqual(self.client.load(sid), encode(state))
        plain = Client(BASE_URL, self.client.token, codec=False)
        plain.save(sid, encode(state), encoded=True)
        self.assertEqual(plain.load(sid), encode(state))
        self.assertEqual(self.client.load(sid), state)

    def test_load_if_changed_sends_no_state_while_the_head_is_the_known_version(self):
        sid = new_sid()
        self.client.save(sid, {"n": 1})
        self.assertIsNone(self.client.load_if_changed(sid, 1))
        self.client.save(sid, {"n": 2})
        self.assertEqual(self.client.load_if_changed(sid, 1), (({"n": 2}), 2))
        self.assertIsNone(self.client.load_if_changed(sid, 2))
        with self.assertRaises(NotFound):
            self.client.load_if_changed(new_sid(), 1)

    def test_labels_on_save_and_patch_shown_and_filtered_on_by_history(self):
        sid = new_sid()
        self.client.save(sid, {"n": 1}, labels={"step": "1", "source": "input"})
        self.client.patch(sid, [{"op": "replace", "path": "/n", "value": 2}], labels={"step": "2", "source": "loop"})
        self.client.save(sid, {"n": 3})
        items = self.client.history(sid)["items"]
        self.assertEqual([item.get("labels") for item in items], [None, {"step": "2", "source": "loop"}, {"step": "1", "source": "input"}])
        self.assertEqual([item["version"] for item in self.client.history(sid, labels={"source": "loop"})["items"]], [2])
        self.assertEqual([item["version"] for item in self.client.iter_history(sid, page_size=1, labels={"step": "1"})], [1])
        self.assertEqual([item["version"] for item in self.client.iter_history(sid, before=3)], [2, 1])
        with self.assertRaises(BadRequest):
            self.client.save(sid, {"n": 4}, labels={"not a name": "x"})

    def test_compact_keeps_the_newest_versions_and_the_rest_is_gone(self):
        sid = new_sid()
        for step in range(1, 7):
            self.client.save(sid, {"step": step})
        answer = self.client.compact(sid, keep_versions=2)
        self.assertEqual((answer["first_version"], answer["head_version"], answer["events_removed"]), (5, 6, 4))
        self.assertEqual([item["version"] for item in self.client.iter_history(sid)], [6, 5])
        self.assertEqual(self.client.load(sid, version=5), {"step": 5})
        with self.assertRaises(Gone):
            self.client.load(sid, version=4)
        # Neither rule: the policy that holds, which here keeps everything.
        self.assertEqual(self.client.compact(sid)["events_removed"], 0)

    def test_typed_errors_carry_the_problem(self):
        sid = new_sid()
        self.client.save(sid, {"a": 1})
        with self.assertRaises(PreconditionFailed) as conflict:
            self.client.save(sid, {"a": 2}, expected_version=5)
        self.assertEqual(conflict.exception.current_version, 1)
        self.assertEqual(conflict.exception.status, 412)
        # The request's id, as the server logged it, to find its log line.
        request_id = conflict.exception.request_id
        self.assertRegex(request_id or "", r"^[0-9a-f-]{36}$")
        self.assertEqual(request_id, next(v for k, v in conflict.exception.headers.items() if k.lower() == "x-request-id"))
        self.assertIn(f"(request {request_id})", str(conflict.exception))
        with self.assertRaises(Unprocessable):
            self.client.patch(sid, [{"op": "remove", "path": "/missing"}])
        with self.assertRaises(BadRequest) as bad:
            self.client.load("not a valid id")
        self.assertIn("session id", bad.exception.detail)
        with self.assertRaises(Unauthorized):
            Client(BASE_URL, "sst_0123456789ab_" + "A" * 43).load(sid)
        stored = self.client.save(sid, {"a": 3}, idempotency_key="reused")
        self.assertEqual((stored["version"], stored["changed"]), (2, True))
        with self.assertRaises(Unprocessable) as reused:
            self.client.save(sid, {"a": 4}, idempotency_key="reused")
        self.assertEqual(reused.exception.status, 422)
        self.assertEqual(self.client.load(sid), {"a": 3})


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards to the real server; misbehaves on the first request as `mode` says."""

    mode = "drop-answer"
    seen = 0
    keys = []

    def _forward(self):
        cls = type(self)
        cls.seen += 1
        cls.keys.append(self.headers.get("Idempotency-Key"))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if cls.seen == 1 and cls.mode == "unavailable":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(BASE_URL + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request) as response:
                status, data, out_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, data, out_headers = error.code, error.read(), error.headers
        if cls.seen == 1 and cls.mode == "drop-answer":
            self.close_connection = True  # the save happened; the answer never arrives
            return
        self.send_response(status)
        for key, value in out_headers.items():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _forward

    def log_message(self, *args):
        pass


class RetryTest(unittest.TestCase):
    def setUp(self):
        self.direct = require_server(self)
        _Proxy.seen = 0
        _Proxy.keys = []
        self.proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        self.client = Client(f"http://127.0.0.1:{self.proxy.server_address[1]}", self.direct.token, retries=3, backoff=0.01)

    def tearDown(self):
        self.proxy.shutdown()
        self.proxy.server_close()

    def test_a_save_whose_answer_was_lost_is_retried_with_the_same_key_and_written_once(self):
        _Proxy.mode = "drop-answer"
        sid = new_sid()
        self.direct.save(sid, {"n": 0})
        answer = self.client.save(sid, {"n": 1})
        self.assertEqual(_Proxy.seen, 2)
        self.assertEqual(_Proxy.keys[0], _Proxy.keys[1])
        self.assertEqual(answer["version"], 2)
        self.assertEqual(len(self.direct.history(sid)["items"]), 2)

    def test_without_idempotency_keys_a_write_carries_none_unless_given(self):
        _Proxy.mode = "pass"
        client = Client(self.client.base_url, self.direct.token, idempotency_keys=False)
        sid = new_sid()
        client.save(sid, {"n": 1})
        client.save(sid, {"n": 2}, idempotency_key="given")
        self.assertEqual(_Proxy.keys, [None, "given"])

    def test_503_is_retried(self):
        _Proxy.mode = "unavailable"
        sid = new_sid()
        self.assertEqual(self.client.save(sid, {"n": 1})["version"], 1)
        self.assertEqual(_Proxy.seen, 2)
        self.assertIsNotNone(_Proxy.keys[0])
        self.assertEqual(_Proxy.keys[0], _Proxy.keys[1])

    def test_an_unreachable_server_raises_connection_failed_after_the_retries(self):
        with self.assertRaises(ConnectionFailed):
            Client("http://127.0.0.1:9", "sst_x", retries=1, backoff=0.01, timeout=0.5).load("x")


class _KeepAliveProxy(_Proxy):
    """HTTP/1.1 forwarding proxy that counts connections; with `drop_after_answer`, it closes each
    connection after its answer without saying so (as a server does with an idle connection)."""

    protocol_version = "HTTP/1.1"
    connections = 0
    drop_after_answer = False

    def setup(self):
        super().setup()
        type(self).connections += 1

    def _forward(self):
        super()._forward()
        if type(self).drop_after_answer:
            self.close_connection = True

    do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _forward


class KeepAliveTest(unittest.TestCase):
    def setUp(self):
        self.direct = require_server(self)
        _Proxy.mode = "pass"
        _KeepAliveProxy.seen = 0
        _KeepAliveProxy.keys = []
        _KeepAliveProxy.connections = 0
        _KeepAliveProxy.drop_after_answer = False
        self.proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveProxy)
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.proxy.server_address[1]}"

    def tearDown(self):
        self.proxy.shutdown()
        self.proxy.server_close()

    def test_requests_reuse_an_idle_connection_from_any_thread(self):
        client = Client(self.url, self.direct.token, retries=0)
        sid = new_sid()
        client.save(sid, {"n": 1})
        client.patch(sid, [{"op": "replace", "path": "/n", "value": 2}])
        self.assertEqual(client.load(sid), {"n": 2})
        loaded = []
        worker = threading.Thread(target=lambda: loaded.append(client.load(sid)))
        worker.start()
        worker.join()
        self.assertEqual(loaded, [{"n": 2}])
        self.assertEqual(_KeepAliveProxy.connections, 1)
        client.close()
        self.assertEqual(client.load(sid), {"n": 2})
        self.assertEqual(_KeepAliveProxy.connections, 2)

    def test_a_connection_idle_too_long_is_replaced_before_use(self):
        client = Client(self.url, self.direct.token, retries=0, keepalive_idle=0.01)
        sid = new_sid()
        client.save(sid, {"n": 1})
        time.sleep(0.05)
        client.load(sid)
        self.assertEqual(_KeepAliveProxy.connections, 2)

    def test_a_connection_the_server_closed_is_replaced_at_once_for_a_request_safe_to_repeat_only(self):
        _KeepAliveProxy.drop_after_answer = True
        # No retries: only the reconnection can carry these requests.
        client = Client(self.url, self.direct.token, retries=0, idempotency_keys=False)
        sid = new_sid()
        client.save(sid, {"n": 1})
        self.assertEqual(client.load(sid), {"n": 1})  # GET: sent again on a new connection
        self.assertEqual(client.save(sid, {"n": 2})["version"], 2)  # PUT: idempotent
        self.assertEqual(client.patch(sid, [{"op": "replace", "path": "/n", "value": 3}], idempotency_key="k1")["version"], 3)
        # A PATCH without a key is not repeated: it may have been applied.
        with self.assertRaises(ConnectionFailed):
            client.patch(sid, [{"op": "replace", "path": "/n", "value": 4}])
        self.assertEqual(self.direct.load_versioned(sid).version, 3)
        self.assertEqual(_KeepAliveProxy.connections, 4)


if __name__ == "__main__":
    unittest.main()
