"""HTTP client of the session-state store, standard library only (Python 3.9+)."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from .encoding import decode, encode
from .errors import ConnectionFailed, NotFound, error_for

Instant = Union[str, dt.datetime]


class Loaded(NamedTuple):
    state: Any
    version: int


def _instant(value: Instant) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)  # a naive instant is read as UTC
        return value.isoformat()
    return value


def _labels(labels: Optional[Dict[str, str]]) -> Optional[str]:
    return None if labels is None else json.dumps(labels, ensure_ascii=False, separators=(",", ":"))


def _read_events(lines: Iterable[bytes]) -> Iterator[Tuple[str, Optional[str], str]]:
    """The (event, id, data) blocks of a text/event-stream; comments (heartbeats) skipped.

    A block with an id and no data is given too: it moves the id a client resumes from.
    """
    event: Optional[str] = None
    block_id: Optional[str] = None
    data: List[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if block_id is not None or data:
                yield event or "message", block_id, "\n".join(data)
            event, block_id, data = None, None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "id":
            block_id = value
        elif field == "event":
            event = value
        elif field == "data":
            data.append(value)


class Client:
    """A client of the HTTP API (v1).

    States go through the lossless encoding (``session_store.encoding``) on the way in and out,
    so datetimes, Decimals, sets, DataFrames… come back as they were saved; plain JSON is stored
    as it is. Pass ``codec=False`` to send and receive plain JSON only. ``save(..., encoded=True)``
    sends a state already in the encoded form (``encode(state)``) as it is.

    A client keeps no per-call state, so one client can serve many threads (Streamlit apps share
    one across browser sessions with ``st.cache_resource``).

    Connection errors, timeouts and 503 answers are retried ``retries`` times with exponential
    backoff; every write carries an Idempotency-Key (a fresh UUID unless given) that its retries
    reuse, so a retry can never write two versions (``idempotency_keys=False``: only the keys given).

    Connections are kept open between requests (HTTP keep-alive), up to 16 idle ones shared by
    the threads, each used by one request at a time; one idle for more than ``keepalive_idle``
    seconds is closed rather than used. ``close()`` closes the idle ones.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.2, codec: bool = True, idempotency_keys: bool = True, keepalive_idle: float = 4.0):
        self.base_url = base_url.rstrip("/")
        # False: writes carry no Idempotency-Key unless one is given, for a caller whose writes are
        # safe to repeat as they are (If-Match writes, states equal to the head), and which would
        # rather not have the store keep every first answer for a day.
        self.idempotency_keys = idempotency_keys
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.codec = codec
        # Connections are kept open between requests (see _connection).
        self.keepalive_idle = keepalive_idle
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url: an http:// or https:// URL, not {base_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._base_path = parts.path
        # Idle kept-alive connections, (connection, last used), the newest last; at most _max_idle.
        self._idle: List[Tuple[http.client.HTTPConnection, float]] = []
        self._idle_lock = threading.Lock()
        self._max_idle = 16

    # -- plumbing ---------------------------------------------------------------------------

    def _connection(self) -> Tuple[http.client.HTTPConnection, bool]:
        """An open connection to the server (and whether it has carried a request before), taken
        from this client's idle ones, newest first, or a new one. A connection is used by one
        request at a time and kept open for the next (HTTP keep-alive), so a request costs no
        connection set-up; one idle for more than ``keepalive_idle`` seconds is closed instead
        (servers drop idle connections: Node after 5 s by default, this store after 65 s), so
        that a write rarely meets a connection the server has just closed.
        """
        now = time.monotonic()
        with self._idle_lock:
            while self._idle:
                conn, used_at = self._idle.pop()
                if now - used_at <= self.keepalive_idle:
                    return conn, True
                conn.close()
        kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout), False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._idle_lock:
            if len(self._idle) < self._max_idle:
                self._idle.append((conn, time.monotonic()))
                return
        conn.close()

    def close(self) -> None:
        """Closes the idle connections (those in use close when their request ends, or are kept)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _send(self, method: str, target: str, headers: Dict[str, str], body: Optional[bytes]) -> Tuple[int, str, Dict[str, str], bytes]:
        """One request on a kept-alive connection. A reused connection that the server closed while
        it was idle fails before any answer: that request is sent again at once on a new
        connection when repeating it is safe (an idempotent method, or an Idempotency-Key)."""
        safe_to_repeat = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS") or "Idempotency-Key" in headers
        while True:
            conn, reused = self._connection()
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                conn.close()
                if reused and safe_to_repeat:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                self._release(conn)
            return response.status, response.reason, dict(response.headers.items()), data

    def _request(self, method: str, path: str, *, query: Optional[Dict[str, Any]] = None, headers: Optional[Dict[str, str]] = None, body: Optional[bytes] = None):
        target = self._base_path + path
        params = {key: value for key, value in (query or {}).items() if value is not None}
        if params:
            target += "?" + urllib.parse.urlencode({key: str(value).lower() if isinstance(value, bool) else value for key, value in params.items()})
        all_headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(headers or {})}
        last_error: Optional[BaseException] = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))
            try:
                status, reason, response_headers, data = self._send(method, target, all_headers, body)
            except (http.client.HTTPException, OSError) as error:
                last_error = error
                continue
            if status < 400:
                return status, response_headers, data
            if status == 503 and attempt < self.retries:
                last_error = ConnectionError(f"503 {reason}")
                continue
            try:
                problem = json.loads(data)
            except ValueError:
                problem = {"title": reason, "status": status, "detail": data[:500].decode("utf-8", "replace")}
            raise error_for(status, problem, response_headers)
        raise ConnectionFailed(f"{method} {path}: no answer after {self.retries + 1} attempts: {last_error}")

    def _json(self, *args: Any, **kwargs: Any) -> Any:
        _, _, data = self._request(*args, **kwargs)
        return json.loads(data) if data else None

    def _write_headers(self, content_type: str, expected_version: Optional[int], idempotency_key: Optional[str], create_only: bool = False) -> Dict[str, str]:
        headers = {"Content-Type": content_type}
        if idempotency_key or self.idempotency_keys:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        if expected_version is not None:
            headers["If-Match"] = f'"{expected_version}"'
        if create_only:
            headers["If-None-Match"] = "*"
        return headers

    def _body(self, state: Any, encoded: bool = False) -> bytes:
        value = encode(state) if self.codec and not encoded else state
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")

    @staticmethod
    def _path(sid: str) -> str:
        return "/v1/sessions/" + urllib.parse.quote(sid, safe="")

    # -- the API ----------------------------------------------------------------------------

    def save(self, sid: str, state: Any, expected_version: Optional[int] = None, message: Optional[str] = None, idempotency_key: Optional[str] = None, *, author: Optional[str] = None, create_only: bool = False, encoded: bool = False, labels: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Saves the whole state; answers {version, changed, created_at, ...}.

        With ``encoded=True``, `state` is already in the encoded form (what ``encode`` returns)
        and is sent as it is, not encoded a second time, whatever the client's ``codec``.
        ``labels`` (names to strings) are kept with the new version: history shows them and
        ``history(labels=...)`` filters on them.
        """
        return self._json(
            "PUT", self._path(sid) + "/state",
            query={"message": message, "author": author, "labels": _labels(labels)},
            headers=self._write_headers("application/json", expected_version, idempotency_key, create_only),
            body=self._body(state, encoded),
        )

    def patch(self, sid: str, operations: List[Dict[str, Any]], expected_version: Optional[int] = None, message: Optional[str] = None, idempotency_key: Optional[str] = None, *, author: Optional[str] = None, labels: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """Applies an RFC 6902 JSON Patch to the head state, atomically (``labels`` as for ``save``)."""
        return self._json(
            "PATCH", self._path(sid) + "/state",
            query={"message": message, "author": author, "labels": _labels(labels)},
            headers=self._write_headers("application/json-patch+json", expected_version, idempotency_key),
            body=json.dumps(operations, allow_nan=False).encode("utf-8"),
        )

    def load_versioned(self, sid: str, version: Optional[int] = None, at: Optional[Instant] = None) -> Loaded:
        """The state (latest, at `version`, or at instant `at`) and its version; NotFound if none."""
        _, headers, data = self._request("GET", self._path(sid) + "/state", query={"version": version, "at": None if at is None else _instant(at)})
        value = json.loads(data)
        version_header = next((v for k, v in headers.items() if k.lower() == "snapshot-version"), "0")
        return Loaded(decode(value) if self.codec else value, int(version_header))

    def load_if_changed(self, sid: str, known_version: int) -> Optional[Loaded]:
        """The head state and its version, or None when the head is still ``known_version`` (a
        conditional GET, ``If-None-Match``: the store answers 304 and sends no state)."""
        status, headers, data = self._request("GET", self._path(sid) + "/state", headers={"If-None-Match": f'"{int(known_version)}"'})
        if status == 304:
            return None
        value = json.loads(data)
        version_header = next((v for k, v in headers.items() if k.lower() == "snapshot-version"), "0")
        return Loaded(decode(value) if self.codec else value, int(version_header))

    def load(self, sid: str, version: Optional[int] = None, at: Optional[Instant] = None) -> Any:
        """The state (latest, at `version`, or at instant `at`); raises NotFound if there is none."""
        return self.load_versioned(sid, version, at).state

    def exists(self, sid: str) -> bool:
        try:
            self._request("HEAD", self._path(sid) + "/state")
            return True
        except NotFound:
            return False

    def history(self, sid: str, limit: Optional[int] = None, before: Optional[int] = None, from_: Optional[Instant] = None, to: Optional[Instant] = None, *, labels: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """One page of history, newest first: {items: [...], next}; ``labels``: only versions carrying all of these."""
        return self._json("GET", self._path(sid) + "/history", query={
            "limit": limit, "before": before,
            "from": None if from_ is None else _instant(from_), "to": None if to is None else _instant(to),
            "labels": _labels(labels),
        })

    def iter_history(self, sid: str, page_size: int = 100, *, before: Optional[int] = None, labels: Optional[Dict[str, str]] = None) -> Iterator[Dict[str, Any]]:
        """Every history item (below ``before``, carrying ``labels``), newest first, across pages."""
        while True:
            page = self.history(sid, limit=page_size, before=before, labels=labels)
            yield from page["items"]
            before = page["next"]
            if before is None:
                return

    def version(self, sid: str, n: int) -> Dict[str, Any]:
        """One version: its metadata and its RFC 6902 patch."""
        return self._json("GET", self._path(sid) + f"/versions/{int(n)}")

    def diff(self, sid: str, from_version: int, to_version: int) -> List[Dict[str, Any]]:
        """The RFC 6902 patch from one version's state to another's."""
        return self._json("GET", self._path(sid) + "/diff", query={"from": from_version, "to": to_version})

    def restore(self, sid: str, version: Optional[int] = None, at: Optional[Instant] = None, message: Optional[str] = None, *, author: Optional[str] = None, expected_version: Optional[int] = None, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Appends a new version equal to an earlier one (by version or instant)."""
        if (version is None) == (at is None):
            raise ValueError("restore takes either version or at")
        body: Dict[str, Any] = {"version": version} if version is not None else {"at": _instant(at)}  # type: ignore[arg-type]
        if message is not None:
            body["message"] = message
        if author is not None:
            body["author"] = author
        return self._json("POST", self._path(sid) + "/restore", headers=self._write_headers("application/json", expected_version, idempotency_key), body=json.dumps(body).encode())

    def fork(self, sid: str, to: str, version: Optional[int] = None, message: Optional[str] = None, *, author: Optional[str] = None, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """A new session `to` whose version 1 is `version` (default: the head) of `sid`."""
        body: Dict[str, Any] = {"to": to}
        for key, value in (("version", version), ("message", message), ("author", author)):
            if value is not None:
                body[key] = value
        return self._json("POST", self._path(sid) + "/fork", headers=self._write_headers("application/json", None, idempotency_key), body=json.dumps(body).encode())

    def compact(self, sid: str, keep_versions: Optional[int] = None, keep_days: Optional[int] = None) -> Dict[str, Any]:
        """Removes the session's history now, for good, keeping the newest ``keep_versions`` and/or
        the versions of the last ``keep_days`` (the head always); with neither, the retention policy
        that holds for the session. Answers what was removed: {session_id, head_version,
        first_version_before, first_version, events_removed, checkpoints_removed, bytes_reclaimed}.
        Conflict while another compaction of the session runs."""
        body = {key: value for key, value in (("keep_versions", keep_versions), ("keep_days", keep_days)) if value is not None}
        return self._json("POST", self._path(sid) + "/compact", headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())

    def delete(self, sid: str, purge: bool = False, expected_version: Optional[int] = None) -> None:
        """Tombstones the session (every later access: Gone), or with purge=True erases it."""
        headers = {"If-Match": f'"{expected_version}"'} if expected_version is not None else {}
        self._request("DELETE", self._path(sid), query={"purge": True if purge else None}, headers=headers)

    def whoami(self) -> Dict[str, Any]:
        """The key this client uses: {key_id, tenant, role}; Unauthorized if the key is refused."""
        return self._json("GET", "/v1/whoami")

    def ready(self) -> Dict[str, Any]:
        """GET /readyz: {status: "ready", migrations} when the service and its database are ready;
        ServerError (503) when not, ConnectionFailed when nothing answers."""
        return self._json("GET", "/readyz")

    def list_sessions(self, prefix: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Dict[str, Any]:
        """Live sessions, most recently updated first: {items: [...], next}."""
        return self._json("GET", "/v1/sessions", query={"prefix": prefix, "limit": limit, "cursor": cursor})

    def _problem(self, error: urllib.error.HTTPError) -> BaseException:
        data = error.read()
        try:
            problem = json.loads(data)
        except ValueError:
            problem = {"title": error.reason, "status": error.code, "detail": data[:500].decode("utf-8", "replace")}
        return error_for(error.code, problem, dict(error.headers.items()))

    def export_session(self, sid: str, out: Any, *, chunk_size: int = 1 << 16) -> int:
        """Writes the session's export (GET /export: NDJSON, a header line and one line per
        version; see the README's file format) to ``out``, a binary file object, as it streams, and
        returns the bytes written. Nothing is held whole, whatever the length of the history. A
        refusal (NotFound, Gone...) is raised as such; a connection that breaks part way raises
        ConnectionFailed (start again: an export is a read)."""
        request = urllib.request.Request(
            self.base_url + self._path(sid) + "/export",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/x-ndjson"},
        )
        written = 0
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                while True:
                    chunk = response.read(chunk_size)
                    if not chunk:
                        return written
                    out.write(chunk)
                    written += len(chunk)
        except urllib.error.HTTPError as error:
            raise self._problem(error) from None
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError, TimeoutError) as error:
            raise ConnectionFailed(f"export {sid}: {error}") from None

    def import_session(self, sid: str, source: Any, *, chunk_size: int = 1 << 16) -> Dict[str, Any]:
        """Recreates a session from an export under ``sid`` in this key's tenant (POST /import):
        ``source`` is a binary file object (sent as it is read, in chunks) or bytes. Answers
        ``{session_id, first_version, head_version, versions, checkpoints}``. A file that fails its
        checks raises Unprocessable naming the line (``error.problem["line"]``) and writes nothing;
        an id that exists raises Conflict. Not retried: a file object cannot be read twice."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "Content-Type": "application/x-ndjson"}
        if isinstance(source, (bytes, bytearray)):
            body: Any = bytes(source)
        else:
            def chunks() -> Iterator[bytes]:
                while True:
                    chunk = source.read(chunk_size)
                    if not chunk:
                        return
                    yield chunk
            body = chunks()
            headers["Transfer-Encoding"] = "chunked"
        request = urllib.request.Request(self.base_url + self._path(sid) + "/import", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=max(self.timeout, 600.0)) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise self._problem(error) from None
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError, TimeoutError) as error:
            raise ConnectionFailed(f"import {sid}: {error}") from None

    def watch(self, sid: str, after: Optional[int] = None, *, idle_timeout: float = 45.0) -> Iterator[Dict[str, Any]]:
        """The session's new versions as they are written (GET /watch), each once and in order.

        A generator of dicts: ``{"event": "version", "version": ..., "created_at": ..., "kind": ...,
        "patch": [...]}`` (the history entry plus the RFC 6902 patch from the version before, or
        ``"load_state": True`` when that patch is large), and last, when the session is deleted,
        ``{"event": "deleted", "purged": ...}``, after which it returns. ``after=N`` starts with the
        versions after N (0: all); by default only versions to come. Patch values are as stored
        (the lossless encoding's tagged objects): load the state for decoded values.

        A connection that breaks, ends, or stays silent for ``idle_timeout`` seconds (the server
        sends a heartbeat at least every 15 s by default) is resumed from the last version received
        (Last-Event-ID) after a backoff; after ``retries`` failed attempts in a row it raises
        ConnectionFailed. A refusal (BadRequest for ``after`` beyond the head, NotFound, Gone,
        RateLimited...) is raised as such. Stop by leaving the loop (or ``close()``).
        """
        last_id = None if after is None else str(int(after))
        failures = 0
        url = self.base_url + self._path(sid) + "/watch"
        while True:
            headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            response = None
            last_error: Optional[BaseException] = None
            try:
                try:
                    response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=idle_timeout)
                except urllib.error.HTTPError as error:
                    data = error.read()
                    if error.code != 503 or failures >= self.retries:
                        try:
                            problem = json.loads(data)
                        except ValueError:
                            problem = {"title": error.reason, "status": error.code, "detail": data[:500].decode("utf-8", "replace")}
                        raise error_for(error.code, problem, dict(error.headers.items())) from None
                    last_error = error
                if response is not None:
                    failures = 0
                    for event, block_id, data_text in _read_events(response):
                        if block_id is not None:
                            last_id = block_id
                        if event == "version":
                            yield {"event": "version", **json.loads(data_text)}
                        elif event == "deleted":
                            yield {"event": "deleted", **json.loads(data_text)}
                            return
                    # Ended without "deleted": the server stopped or shed this stream; resume.
            except (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError, TimeoutError) as error:
                last_error = error
                if failures >= self.retries:
                    raise ConnectionFailed(f"watch {sid}: no stream after {self.retries + 1} attempts: {last_error}") from None
            finally:
                if response is not None:
                    response.close()
            failures += 1
            time.sleep(self.backoff * (2 ** min(failures - 1, 6)) * (0.5 + random.random()))
