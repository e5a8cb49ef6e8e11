"""A LangGraph checkpointer on the session-state store (``pip install "session-store-client[langgraph]"``).

Every checkpoint is a version of a store session, so a thread's history is the store's history:
each new checkpoint costs a small RFC 6902 patch (a chat's messages list grows by the new
messages), and history, diff, restore and the verified chain come with it. The mapping:

- One session per ``(thread_id, checkpoint_ns)``: ``lg.<thread>.<ns>`` (characters outside
  ``A-Z a-z 0-9 _ : -`` escaped as ``@xx`` per UTF-8 byte; a part too long for the 128-character
  session id is replaced by ``@h`` and a SHA-256 prefix). A thread's namespaces share the prefix
  ``lg.<thread>.``, which ``GET /v1/sessions?prefix=`` lists (``delete_thread``, ``copy_thread``).
- A version's state is the whole checkpoint: ``{"thread_id", "checkpoint_ns", "checkpoint",
  "parent", "metadata", "values", "writes", "parent_writes"}``, ``values`` holding the value of every channel
  the checkpoint has (unchanged channels carried from the parent, removed ones gone).
- Its labels: ``checkpoint_id`` and one ``m.<key>`` per metadata key (the canonical JSON of the
  stored value, or its SHA-256 when longer than 100 characters), so ``list(filter=...)`` and
  the lookup of a checkpoint by id are ``/history?labels=`` queries.
- Pending writes of the latest checkpoint land with the next checkpoint when it follows within
  ``writes_coalesce_seconds`` (LangGraph puts a step's checkpoint right after its tasks' writes):
  that checkpoint's version holds them as ``parent_writes``, so a step costs one version and one
  request, and ``put_writes`` still returns only once they are stored. Otherwise they are added
  to the latest checkpoint's state by a ``PATCH`` (a new version with the same checkpoint and
  labels). Writes to an older checkpoint (rare: a concurrent run) go to the session ``<sid>@w``,
  a map of checkpoint id to writes. A checkpoint's writes are those of its newest version, the
  ``parent_writes`` of the version right after it when that is its child, and its late writes.
- Values go through LangGraph's serializer only where JSON cannot hold them losslessly: dicts
  with string keys, lists, strings, booleans, None, integers within ±2**53 and non-integral
  finite floats are stored as JSON; a message (a pydantic type the serializer revives without an
  allowlist) with JSON fields as the serializer's own JSON form, ``{"$lg": "json", "v": {"lc": 2,
  "type": "constructor", "id": [...], "kwargs": {...}}}``; anything else (bytes, a tuple, a
  datetime, an integral float) as ``{"$lg": <serializer type>, "b": <base64>}``, element by
  element, so a list of messages grows by a patch of the new elements.
- ``prune(thread_ids, strategy="keep_latest")`` compacts each session of the thread to its head
  version (``POST /v1/sessions/{sid}/compact``: the store removes the older versions for good)
  and purges its ``<sid>@w``; ``strategy="delete"`` is ``delete_thread``.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import heapq
import importlib
import json
import random
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Dict, List, Optional, Tuple

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

try:  # The types LangGraph's serializer revives without an allowlist (a module of its own, so guarded).
    from langgraph.checkpoint.serde._msgpack import SAFE_MSGPACK_TYPES
except ImportError:  # pragma: no cover - another langgraph-checkpoint: values go as typed blobs
    SAFE_MSGPACK_TYPES = None

from .client import Client
from .errors import Conflict, Gone, NotFound, PreconditionFailed

__all__ = ["SessionStoreSaver"]

TAG = "$lg"
_SAFE = re.compile(r"[A-Za-z0-9_:-]")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,62}$")
_MAX_SID = 128
_WRITES_SUFFIX = "@w"
# Longer label values are replaced by (part of) their hash, so that many labels fit the store's
# 1000 characters of ?labels= (a filter hashes the same way, so it still matches exactly).
_MAX_LABEL_CHARS = 64
_LABELS_BUDGET = 1000
# Set on a version whose metadata did not all fit in its labels: a filtered list reads these too.
_PARTIAL = "m:partial"
_PARTIAL_SIZE = len('"m:partial":"1",')
# One label is the checkpoint id; the store takes 64 per version.
_MAX_METADATA_LABELS = 63
_SAFE_INT = 2 ** 53


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _escape(text: str) -> str:
    return "".join(c if _SAFE.fullmatch(c) else "".join(f"@{b:02x}" for b in c.encode("utf-8")) for c in text)


def _part(text: str, budget: int) -> str:
    escaped = _escape(text)
    if len(escaped) <= budget:
        return escaped
    # "@h" never starts an escape (those are "@" and two hex digits), so it cannot collide with one.
    return "@h" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _plain_json(value: Any) -> bool:
    """Whether a value is JSON the store keeps exactly (the rules of SessionStoreSaver._encode)."""
    kind = type(value)
    if value is None or kind is bool:
        return True
    if kind is str:
        return not _has_surrogates(value)
    if kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf")) and not value.is_integer()
    if kind is list:
        return all(_plain_json(item) for item in value)
    if kind is dict:
        return TAG not in value and all(type(key) is str and not _has_surrogates(key) and _plain_json(item) for key, item in value.items())
    return False


def _fit(labels: Dict[str, str], pairs: List[Tuple[str, str]], budget: int) -> Tuple[Dict[str, str], bool]:
    """Labels with as many of the pairs as fit in `budget` characters of JSON (and 63 labels); whether some did not."""
    fitted = dict(labels)
    size = len(_compact(fitted))
    partial = False
    for name, value in pairs:
        grown = len(_compact(name)) + len(_compact(value)) + 2
        if len(fitted) < 63 and size + grown <= budget:
            fitted[name] = value
            size += grown
        else:
            partial = True
    return fitted, partial


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _has_surrogates(text: str) -> bool:
    if text.isascii():  # the common case, and far cheaper than encoding (every message of every put)
        return False
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _doc_patch(old: Dict[str, Any], new: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The RFC 6902 patch from one checkpoint state to the next: objects are compared member by
    member, and a list that grew at its end gets only its new elements appended."""
    ops: List[Dict[str, Any]] = []
    _diff(old, new, "", ops)
    return ops


def _diff(old: Any, new: Any, path: str, ops: List[Dict[str, Any]]) -> None:
    if type(old) is dict and type(new) is dict:
        for key, value in new.items():
            member = path + "/" + _pointer(key)
            if key not in old:
                ops.append({"op": "add", "path": member, "value": value})
            elif old[key] != value:
                _diff(old[key], value, member, ops)
        ops.extend({"op": "remove", "path": path + "/" + _pointer(key)} for key in old if key not in new)
    elif type(old) is list and type(new) is list and len(new) > len(old) and new[: len(old)] == old:
        ops.extend({"op": "add", "path": path + "/-", "value": item} for item in new[len(old):])
    else:
        ops.append({"op": "replace", "path": path, "value": new})


class _PendingWrites:
    """One put_writes call's entries waiting for the put of the next checkpoint to carry them."""

    __slots__ = ("entries", "taken", "stored", "failed")

    def __init__(self, entries: List[Tuple[str, List[Any], bool]]) -> None:
        self.entries = entries
        self.taken = False  # by a put (under the saver's lock)
        self.stored = False  # that put's version holds them
        self.failed = False  # that put could not carry them: put_writes sends them itself


class SessionStoreSaver(BaseCheckpointSaver[str]):
    """LangGraph's ``BaseCheckpointSaver`` on the store's HTTP API (see the module's doc for the mapping).

    ``client``: a ``session_store.Client`` (its ``codec`` is not used: this saver encodes values
    itself, through LangGraph's serializer); or pass ``base_url`` and ``token``.
    ``prefix``: the start of every session id this saver uses (default ``lg.``).

    ``writes_coalesce_seconds`` (0.05): how long ``put_writes`` waits for the next checkpoint's
    put to carry its writes (0: never waits, a version of their own); ``writes_wait_seconds``
    (10): how long writes wait for a put of their checkpoint still on its way.

    The async methods run the synchronous ones in a worker thread (``asyncio.to_thread``).
    ``delete_for_runs`` is not provided: the store removes history only from a session's start
    (retention, ``prune``), never some versions from its middle.
    """

    def __init__(
        self,
        client: Optional[Client] = None,
        *,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        prefix: str = "lg.",
        serde: Optional[SerializerProtocol] = None,
    ) -> None:
        super().__init__(serde=serde)
        if client is None:
            if base_url is None or token is None:
                raise ValueError("give a session_store.Client, or base_url and token")
            client = Client(base_url, token)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,30}", prefix):
            raise ValueError("prefix: up to 31 characters of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit")
        # States are this saver's own JSON documents: the client's codec must leave them alone. Its
        # writes are safe to repeat without Idempotency-Keys: a patch carries If-Match (a repeat is
        # refused, then found done), and a whole state equal to the head writes nothing.
        self.client = Client(client.base_url, client.token, timeout=client.timeout, retries=client.retries, backoff=client.backoff, codec=False, idempotency_keys=False, keepalive_idle=client.keepalive_idle)
        self.prefix = prefix
        # Values LangGraph's own serializer can revive from its JSON form (messages...) are stored as
        # that JSON, so they compress and diff as text; with another serializer, never.
        self._json_revival = isinstance(self.serde, JsonPlusSerializer) and SAFE_MSGPACK_TYPES is not None
        self._json_classes: Dict[type, bool] = {}
        # The messages this saver encoded lately, by identity: (the message, its fields, its form).
        self._lc_cache: Dict[int, Tuple[Any, Dict[str, Any], Dict[str, Any]]] = {}
        self._lc_lock = threading.Lock()
        self._revivable: Dict[Tuple[str, ...], type] = {}
        # LangGraph may run a step's put_writes before the put of its checkpoint has finished (both
        # go to its background executor): a put_writes that finds no checkpoint waits for puts.
        self._put_done = threading.Condition()
        self._puts = 0
        self._heads: Dict[str, Tuple[int, Dict[str, Any]]] = {}
        # Ids of the checkpoints this saver put lately (a put_writes for one need not wait).
        self._put_ids: Dict[str, None] = {}
        # Puts in flight per session: a put_writes waits for them before asking the store.
        self._putting: Dict[str, int] = {}
        # put_writes in flight per (session, checkpoint id): the put of the next checkpoint waits
        # for them, so that a step's writes land on their checkpoint while it is still the head.
        self._writing: Dict[Tuple[str, str], int] = {}
        self.writes_wait_seconds = 10.0
        # Writes to the head checkpoint waiting for the put of the next one to carry them, per
        # (session, checkpoint id); a put takes them all, or put_writes sends them itself after
        # writes_coalesce_seconds (0: always itself).
        self._pending: Dict[Tuple[str, str], List["_PendingWrites"]] = {}
        self.writes_coalesce_seconds = 0.05

    # -- session ids ------------------------------------------------------------------------

    def _thread_prefix(self, thread_id: str) -> str:
        return f"{self.prefix}{_part(str(thread_id), 60)}."

    def _sid(self, thread_id: str, checkpoint_ns: str) -> str:
        base = self._thread_prefix(thread_id)
        return base + _part(checkpoint_ns, _MAX_SID - len(_WRITES_SUFFIX) - len(base))

    def _thread_sessions(self, thread_id: Optional[str]) -> List[str]:
        """The sessions of a thread (of every thread with None), late-writes sessions excluded."""
        prefix = self.prefix if thread_id is None else self._thread_prefix(thread_id)
        found: List[str] = []
        cursor = None
        while True:
            page = self.client.list_sessions(prefix=prefix, limit=1000, cursor=cursor)
            found.extend(item["session_id"] for item in page["items"])
            cursor = page.get("next")
            if not cursor:
                return sorted(found)

    # -- values -----------------------------------------------------------------------------

    def _encode(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind is bool:
            return value
        if kind is str:
            if not _has_surrogates(value):
                return value
        elif kind is int:
            if -_SAFE_INT <= value <= _SAFE_INT:
                return value
        elif kind is float:
            # The store gives a number back in its shortest form: 1.0 would come back as 1.
            if value == value and value not in (float("inf"), float("-inf")) and not value.is_integer():
                return value
        elif kind is list:
            return [self._encode(item) for item in value]
        elif kind is dict:
            if TAG not in value and all(type(key) is str and not _has_surrogates(key) for key in value):
                return {key: self._encode(item) for key, item in value.items()}
        lc = self._lc_json(value)
        if lc is not None:
            return {TAG: "json", "v": lc}
        type_, data = self.serde.dumps_typed(value)
        return {TAG: type_, "b": base64.b64encode(data).decode("ascii")}

    def _lc_json(self, value: Any) -> Optional[Dict[str, Any]]:
        """A message (or another pydantic type LangGraph's serializer revives from JSON without an
        allowlist) whose fields are plain JSON: the serializer's own JSON form, an lc-2 constructor
        of the class with its fields, which it revives exactly as it revives its msgpack form."""
        if not self._json_revival:
            return None
        cls = type(value)
        safe = self._json_classes.get(cls)
        if safe is None:
            safe = callable(getattr(value, "model_dump", None)) and (cls.__module__, cls.__name__) in SAFE_MSGPACK_TYPES
            self._json_classes[cls] = safe
        if not safe:
            return None
        # Fields left at their defaults are left out: the class gives them back.
        fields = value.model_dump(exclude_defaults=True)
        # Each put encodes the whole list of messages again: a message seen before whose fields
        # are still equal (messages can be changed in place) gives its encoded form back, without
        # checking every string of it once more.
        key = id(value)
        with self._lc_lock:
            cached = self._lc_cache.get(key)
        if cached is not None and cached[0] is value and cached[1] == fields:
            return cached[2]
        if not _plain_json(fields):
            return None
        encoded = {"lc": 2, "type": "constructor", "id": [*cls.__module__.split("."), cls.__name__], "kwargs": fields}
        with self._lc_lock:
            self._lc_cache[key] = (value, fields, encoded)
            while len(self._lc_cache) > 4096:
                self._lc_cache.pop(next(iter(self._lc_cache)))
        return encoded

    def _decode(self, value: Any) -> Any:
        if type(value) is list:
            return [self._decode(item) for item in value]
        if type(value) is dict:
            if TAG in value:
                if "v" in value:
                    return self._revive(value[TAG], value["v"])
                return self.serde.loads_typed((value[TAG], base64.b64decode(value["b"])))
            return {key: self._decode(item) for key, item in value.items()}
        return value

    def _revive(self, type_: str, data: Any) -> Any:
        # Exactly what the serializer's reviver does for a type it allows without an allowlist (the
        # class called with the fields), without a JSON round trip per value.
        ident = tuple(data.get("id") or ()) if type_ == "json" and data.get("lc") == 2 and data.get("type") == "constructor" else ()
        cls = self._revivable.get(ident)
        if cls is None and len(ident) >= 2 and SAFE_MSGPACK_TYPES is not None and (".".join(ident[:-1]), ident[-1]) in SAFE_MSGPACK_TYPES:
            cls = getattr(importlib.import_module(".".join(ident[:-1])), ident[-1])
            self._revivable[ident] = cls
        if cls is None:
            return self.serde.loads_typed((type_, json.dumps(data, ensure_ascii=False).encode("utf-8")))
        return cls(**data.get("kwargs", {}))

    def _labels(self, checkpoint_id: str, encoded_metadata: Dict[str, Any]) -> Dict[str, str]:
        labels = {"checkpoint_id": checkpoint_id}
        pairs = [(self._label_name(key), self._label_value(encoded_metadata[key])) for key in sorted(encoded_metadata)]
        fitted, partial = _fit(labels, pairs, _LABELS_BUDGET - _PARTIAL_SIZE)
        if partial:
            fitted[_PARTIAL] = "1"
        return fitted

    @staticmethod
    def _label_name(key: str) -> str:
        return "m." + key if _LABEL_NAME.fullmatch(key) else "mh." + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()

    @staticmethod
    def _label_value(encoded: Any) -> str:
        text = _canonical(encoded)
        return text if len(text) <= _MAX_LABEL_CHARS else "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    # -- reading ----------------------------------------------------------------------------

    def _load(self, sid: str, version: Optional[int] = None) -> Optional[Tuple[Dict[str, Any], int]]:
        try:
            loaded = self.client.load_versioned(sid, version=version)
        except (NotFound, Gone):
            return None
        return loaded.state, loaded.version

    def _find_version(self, sid: str, checkpoint_id: str) -> Optional[int]:
        """The newest version of a checkpoint (the one with its latest writes)."""
        try:
            items = self.client.history(sid, limit=1, labels={"checkpoint_id": checkpoint_id})["items"]
        except (NotFound, Gone):
            return None
        return items[0]["version"] if items else None

    def _late_writes(self, sid: str) -> Dict[str, Dict[str, Any]]:
        loaded = self._load(sid + _WRITES_SUFFIX)
        return loaded[0] if loaded else {}

    def _carried_writes(self, sid: str, checkpoint_id: str, version: int, following: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """The writes to a checkpoint that landed with its child: the version right after the
        checkpoint's newest one (`following`, when already loaded), if that is its child."""
        if following is None:
            loaded = self._load(sid, version + 1)
            if loaded is None:
                return {}
            following = loaded[0]
        if following.get("parent") != checkpoint_id:
            return {}
        return following.get("parent_writes") or {}

    def _tuple(self, doc: Dict[str, Any], late: Optional[Dict[str, Any]] = None, carried: Optional[Dict[str, Any]] = None) -> CheckpointTuple:
        thread_id, ns = doc["thread_id"], doc["checkpoint_ns"]
        checkpoint = self._decode(doc["checkpoint"])
        checkpoint["channel_values"] = {key: self._decode(value) for key, value in doc["values"].items()}
        writes = dict(doc.get("writes") or {})
        writes.update(carried or {})
        writes.update(late or {})
        ordered = sorted(writes.values(), key=lambda w: (w[3], w[0], w[4]))
        parent = doc.get("parent")
        return CheckpointTuple(
            config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}},
            checkpoint=checkpoint,
            metadata=self._decode(doc["metadata"]),
            parent_config={"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent}} if parent else None,
            pending_writes=[(w[0], w[1], self._decode(w[2])) for w in ordered],
        )

    def get_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        configurable = config["configurable"]
        sid = self._sid(configurable["thread_id"], configurable.get("checkpoint_ns", ""))
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id is None:
            # The head is the latest checkpoint, and writes to it are in its own state. When this
            # saver knows the head (it wrote or read it), the store only confirms it is still the
            # head (a conditional GET: 304, no state sent), as at the start of every run of a graph.
            known = self._known_head(sid)
            try:
                if known is not None:
                    changed = self.client.load_if_changed(sid, known[0])
                    if changed is None:
                        return self._tuple(known[1])
                    loaded: Optional[Tuple[Dict[str, Any], int]] = (changed.state, changed.version)
                else:
                    loaded = self._load(sid)
            except (NotFound, Gone):
                self._forget(sid)
                return None
            if loaded is None:
                return None
            self._remember(sid, loaded[1], loaded[0])
            return self._tuple(loaded[0])
        version = self._find_version(sid, checkpoint_id)
        if version is None:
            return None
        loaded = self._load(sid, version)
        if loaded is None:
            return None
        return self._tuple(loaded[0], self._late_writes(sid).get(checkpoint_id), self._carried_writes(sid, checkpoint_id, version))

    def list(
        self,
        config: Optional[RunnableConfig],
        *,
        filter: Optional[Dict[str, Any]] = None,
        before: Optional[RunnableConfig] = None,
        limit: Optional[int] = None,
    ) -> Iterator[CheckpointTuple]:
        """Newest first (by checkpoint id, across namespaces when the config names none)."""
        configurable = (config or {}).get("configurable", {})
        thread_id = configurable.get("thread_id")
        if thread_id is not None and "checkpoint_ns" in configurable:
            sids = [self._sid(thread_id, configurable["checkpoint_ns"])]
        else:
            sids = [sid for sid in self._thread_sessions(thread_id) if not sid.endswith(_WRITES_SUFFIX)]
        wanted_id = configurable.get("checkpoint_id")
        before_id = get_checkpoint_id(before) if before else None
        encoded_filter = {key: self._encode(value) for key, value in (filter or {}).items()}
        # The store narrows by the labels that fit in one query; every listed checkpoint's stored
        # metadata is compared with the whole filter here.
        label_filter, _ = _fit(
            {"checkpoint_id": wanted_id} if wanted_id is not None else {},
            [(self._label_name(key), self._label_value(value)) for key, value in sorted(encoded_filter.items())],
            _LABELS_BUDGET,
        )
        found: List[CheckpointTuple] = []
        for sid in sids:
            found.extend(self._list_session(sid, label_filter, encoded_filter, before_id, limit))
        found.sort(key=lambda t: t.checkpoint["id"], reverse=True)
        yield from found[:limit] if limit is not None else found

    def _list_session(self, sid: str, labels: Dict[str, str], encoded_filter: Dict[str, Any], before_id: Optional[str], limit: Optional[int]) -> List[CheckpointTuple]:
        before_version = self._find_version(sid, before_id) if before_id is not None else None
        seen = set()
        late: Optional[Dict[str, Any]] = None
        out: List[CheckpointTuple] = []
        streams = [self.client.iter_history(sid, page_size=100, before=before_version, labels=labels)]
        if encoded_filter:
            # Versions whose metadata did not all fit in their labels may match on what is missing.
            streams.append(self.client.iter_history(sid, page_size=100, before=before_version, labels={_PARTIAL: "1"}))
        last_version = None
        # Docs read so far by version: the one right after a checkpoint's is usually among them.
        docs: Dict[int, Dict[str, Any]] = {}
        try:
            for item in heapq.merge(*streams, key=lambda entry: -entry["version"]):
                if item["version"] == last_version:
                    continue
                last_version = item["version"]
                checkpoint_id = (item.get("labels") or {}).get("checkpoint_id")
                if checkpoint_id is None or checkpoint_id in seen:
                    continue
                seen.add(checkpoint_id)
                if before_id is not None and checkpoint_id >= before_id:
                    continue
                loaded = self._load(sid, item["version"])
                if loaded is None:
                    break
                doc = loaded[0]
                docs[item["version"]] = doc
                # Labels hold the filter's values (or their hashes): compare the stored values themselves.
                if any(_canonical(doc["metadata"].get(key)) != _canonical(value) or key not in doc["metadata"] for key, value in encoded_filter.items()):
                    continue
                if late is None:
                    late = self._late_writes(sid)
                out.append(self._tuple(doc, late.get(checkpoint_id), self._carried_writes(sid, checkpoint_id, item["version"], docs.get(item["version"] + 1))))
                if limit is not None and len(out) >= limit:
                    break
        except (NotFound, Gone):
            return out
        return out

    # -- writing ----------------------------------------------------------------------------

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions) -> RunnableConfig:
        configurable = config["configurable"]
        thread_id = configurable["thread_id"]
        ns = configurable.get("checkpoint_ns", "")
        sid = self._sid(thread_id, ns)
        parent_id = configurable.get("checkpoint_id")
        values = checkpoint.get("channel_values", {})
        versions = checkpoint.get("channel_versions", {})
        taken: List[_PendingWrites] = []
        if parent_id is not None:
            deadline = time.monotonic() + self.writes_wait_seconds
            with self._put_done:
                while (sid, parent_id) in self._writing and time.monotonic() < deadline:
                    self._put_done.wait(0.05)
                # Writes to the parent waiting for this put: it carries them, when the parent is
                # the head it writes on (the version right after the parent's, which reads them).
                head = self._heads.get(sid)
                if head is not None and head[1]["checkpoint"].get("id") == parent_id:
                    taken = self._pending.pop((sid, parent_id), [])
                    for pending in taken:
                        pending.taken = True
        known = self._known_head(sid)
        parent_writes: Dict[str, Any] = {}
        if taken and known is not None:
            own = known[1]["writes"]
            for pending in taken:
                for key, entry, overwrite in pending.entries:
                    if overwrite or (key not in own and key not in parent_writes):
                        parent_writes[key] = entry

        stored: Dict[str, Any] = {}
        parent_doc: Optional[Dict[str, Any]] = None
        parent_loaded = False
        for channel, version in versions.items():
            if channel in new_versions:
                if channel in values:
                    stored[channel] = self._encode(values[channel])
                continue
            # Unchanged: the value stored with this channel version (InMemorySaver's blob), from the parent.
            if not parent_loaded and parent_id is not None:
                parent_doc = known[1] if known and known[1]["checkpoint"].get("id") == parent_id else self._parent_doc(sid, parent_id)
                parent_loaded = True
            if parent_doc is not None and channel in parent_doc["values"] and parent_doc["checkpoint"].get("channel_versions", {}).get(channel) == version:
                stored[channel] = parent_doc["values"][channel]
            elif channel in values:
                stored[channel] = self._encode(values[channel])

        rest = {key: value for key, value in checkpoint.items() if key != "channel_values"}
        encoded_metadata = self._encode(get_checkpoint_metadata(config, metadata))
        doc = {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint": self._encode(rest),
            "parent": parent_id,
            "metadata": encoded_metadata,
            "values": stored,
            "writes": {},
            "parent_writes": parent_writes,
        }
        labels = self._labels(checkpoint["id"], encoded_metadata)
        with self._put_done:
            self._putting[sid] = self._putting.get(sid, 0) + 1
        carried = False
        answer: Optional[Dict[str, Any]] = None
        try:
            answer, doc, carried = self._write_checkpoint(sid, known, parent_id, doc, labels)
        finally:
            # All at once under the lock: a put_writes that waits for this put sees the new head
            # as soon as it sees no put in flight.
            with self._put_done:
                for pending in taken:
                    pending.stored = carried
                    pending.failed = not carried
                if answer is not None:
                    self._remember(sid, answer["version"], doc)
                    self._put_ids[checkpoint["id"]] = None
                    while len(self._put_ids) > 10000:
                        self._put_ids.pop(next(iter(self._put_ids)))
                self._putting[sid] -= 1
                if not self._putting[sid]:
                    del self._putting[sid]
                self._puts += 1
                self._put_done.notify_all()
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}}

    def _write_checkpoint(self, sid: str, known: Optional[Tuple[int, Dict[str, Any]]], parent_id: Optional[str], doc: Dict[str, Any], labels: Dict[str, str]) -> Tuple[Dict[str, Any], Dict[str, Any], bool]:
        """Writes the checkpoint's version: the store's answer, the state written, and whether its
        parent_writes were stored with it."""
        # The usual step: on top of the head this saver knows. Send only the change; if the head has
        # moved (a put_writes of this saver just added to it: try again on that; another writer:
        # If-Match refuses it), the whole state goes, without parent_writes: they belong right
        # after the parent's version, so their put_writes sends them itself.
        for _ in range(3):
            if known is None or known[1]["checkpoint"].get("id") != parent_id:
                break
            if doc["parent_writes"]:
                own = known[1]["writes"]
                doc = {**doc, "parent_writes": {key: entry for key, entry in doc["parent_writes"].items() if key not in own or entry[1] in WRITES_IDX_MAP}}
            try:
                return self.client.patch(sid, _doc_patch(known[1], doc), expected_version=known[0], labels=labels), doc, True
            except NotFound:
                break  # purged meanwhile (delete_thread elsewhere): the thread starts again
            except PreconditionFailed:
                fresher = self._known_head(sid)
                if fresher is None or fresher[0] == known[0]:
                    break
                known = fresher
        doc = {**doc, "parent_writes": {}}
        return self.client.save(sid, doc, labels=labels), doc, False

    # The head state this saver last wrote or read per session: a hint that saves a load, always
    # checked by the store (If-Match) before anything is written on top of it.
    def _known_head(self, sid: str) -> Optional[Tuple[int, Dict[str, Any]]]:
        with self._put_done:
            return self._heads.get(sid)

    def _remember(self, sid: str, version: int, doc: Dict[str, Any]) -> None:
        with self._put_done:
            self._heads.pop(sid, None)
            self._heads[sid] = (version, doc)
            while len(self._heads) > 1000:
                self._heads.pop(next(iter(self._heads)))

    def _forget(self, sid: str) -> None:
        with self._put_done:
            self._heads.pop(sid, None)

    def _parent_doc(self, sid: str, parent_id: str) -> Optional[Dict[str, Any]]:
        head = self._load(sid)
        if head is not None and head[0]["checkpoint"].get("id") == parent_id:
            return head[0]
        version = self._find_version(sid, parent_id)
        loaded = self._load(sid, version) if version is not None else None
        return loaded[0] if loaded else None

    def put_writes(self, config: RunnableConfig, writes: Sequence[Tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        configurable = config["configurable"]
        sid = self._sid(configurable["thread_id"], configurable.get("checkpoint_ns", ""))
        checkpoint_id = configurable["checkpoint_id"]
        entries: List[Tuple[str, List[Any], bool]] = []
        for idx, (channel, value) in enumerate(writes):
            special = channel in WRITES_IDX_MAP
            index = WRITES_IDX_MAP[channel] if special else idx
            # Idempotent per (task_id, idx); the special channels (error, interrupt...) overwrite.
            entries.append((f"{task_id}:{index}", [task_id, channel, self._encode(value), task_path, index], special))
        key = (sid, checkpoint_id)
        with self._put_done:
            self._writing[key] = self._writing.get(key, 0) + 1
        if self._await_next_put(key, entries):
            return
        try:
            self._add_writes(sid, checkpoint_id, entries, configurable["thread_id"])
        finally:
            self._writing_done(key)

    def _await_next_put(self, key: Tuple[str, str], entries: List[Tuple[str, List[Any], bool]]) -> bool:
        """Leaves writes to the head checkpoint for the put of the next one to carry, for at most
        writes_coalesce_seconds; True once a put has stored them. Otherwise (not the head, no put
        came, or it could not carry them) answers False, this call still counted among those
        sending their own (self._writing, which the next put waits for)."""
        sid, checkpoint_id = key
        with self._put_done:
            # LangGraph often sends a step's writes before the put of their checkpoint has landed:
            # wait for this saver's puts in flight, and for the window for one to start.
            now = time.monotonic()
            put_deadline, start_deadline = now + self.writes_wait_seconds, now + self.writes_coalesce_seconds
            head = self._heads.get(sid)
            while (head is None or head[1]["checkpoint"].get("id") != checkpoint_id) and checkpoint_id not in self._put_ids:
                now = time.monotonic()
                if not ((sid in self._putting and now < put_deadline) or now < start_deadline):
                    break
                self._put_done.wait(0.01)
                head = self._heads.get(sid)
            if self.writes_coalesce_seconds > 0 and head is not None and head[1]["checkpoint"].get("id") == checkpoint_id:
                pending = _PendingWrites(entries)
                self._pending.setdefault(key, []).append(pending)
                # Waiting to be taken, not sending: the next put need not wait for it.
                self._writing_done(key)
                deadline = time.monotonic() + self.writes_coalesce_seconds
                while not pending.taken and time.monotonic() < deadline:
                    self._put_done.wait(max(0.0, deadline - time.monotonic()))
                if not pending.taken:
                    waiting = self._pending.get(key, [])
                    if pending in waiting:
                        waiting.remove(pending)
                    if not waiting:
                        self._pending.pop(key, None)
                else:
                    deadline = time.monotonic() + self.writes_wait_seconds
                    while not (pending.stored or pending.failed) and time.monotonic() < deadline:
                        self._put_done.wait(0.05)
                    if pending.stored:
                        return True
                self._writing[key] = self._writing.get(key, 0) + 1
        return False

    def _writing_done(self, key: Tuple[str, str]) -> None:
        with self._put_done:
            self._writing[key] -= 1
            if not self._writing[key]:
                del self._writing[key]
            self._put_done.notify_all()

    def _add_writes(self, sid: str, checkpoint_id: str, entries: List[Tuple[str, List[Any], bool]], thread_id: str) -> None:
        started = time.monotonic()
        deadline = started + self.writes_wait_seconds
        conflicts = 0
        checked_at: Optional[float] = None
        while True:
            with self._put_done:
                puts_seen = self._puts
                head = self._heads.get(sid)
                put_here = checkpoint_id in self._put_ids
                putting = sid in self._putting
            try:
                if head is not None and head[1]["checkpoint"].get("id") == checkpoint_id:
                    version, doc = head
                    chosen = [(key, entry) for key, entry, overwrite in entries if overwrite or key not in doc["writes"]]
                    if chosen:
                        ops = [{"op": "add", "path": "/writes/" + _pointer(key), "value": entry} for key, entry in chosen]
                        answer = self.client.patch(sid, ops, expected_version=version, labels=self._labels(checkpoint_id, doc["metadata"]))
                        self._remember(sid, answer["version"], {**doc, "writes": {**doc["writes"], **dict(chosen)}})
                    return
                # Not the head this saver knows: ask the store when this saver has put that checkpoint
                # itself (it is no longer the head), else once no put of this saver has brought it
                # for 0.1 s (a checkpoint put by another process), then every 0.25 s while waiting.
                now = time.monotonic()
                due = now - started >= 0.1 and not putting if checked_at is None else now - checked_at >= 0.25
                if put_here or due:
                    checked_at = now
                    loaded = self._load(sid)
                    if loaded is not None:
                        self._remember(sid, loaded[1], loaded[0])
                        if loaded[0]["checkpoint"].get("id") == checkpoint_id:
                            continue
                        if self._find_version(sid, checkpoint_id) is not None:
                            self._put_late_writes(sid, checkpoint_id, entries)
                            return
            except (PreconditionFailed, Conflict, NotFound):
                # Another writer moved the head (or created the late-writes session, or purged the
                # thread) meanwhile: look again.
                self._forget(sid)
                conflicts += 1
                if conflicts >= 8:
                    raise
                continue
            # Its put has not landed yet (LangGraph runs puts and writes on a background executor).
            if time.monotonic() >= deadline:
                raise ValueError(f"no checkpoint {checkpoint_id} in thread {thread_id!r}")
            with self._put_done:
                if self._puts == puts_seen:
                    self._put_done.wait(0.05)

    def _put_late_writes(self, sid: str, checkpoint_id: str, entries: List[Tuple[str, List[Any], bool]]) -> None:
        version = self._find_version(sid, checkpoint_id)
        if version is None:
            raise ValueError(f"no checkpoint {checkpoint_id} in session {sid}")
        own = self._load(sid, version)
        existing = {**own[0]["writes"], **self._carried_writes(sid, checkpoint_id, version)} if own else {}
        late_sid = sid + _WRITES_SUFFIX
        loaded = self._load(late_sid)
        late, late_version = (loaded if loaded else ({}, None))
        mine = dict(late.get(checkpoint_id, {}))
        changed = False
        for key, entry, overwrite in entries:
            if overwrite or (key not in existing and key not in mine):
                mine[key] = entry
                changed = True
        if not changed:
            return
        late = {**late, checkpoint_id: mine}
        if late_version is None:
            self.client.save(late_sid, late, create_only=True)
        else:
            self.client.save(late_sid, late, expected_version=late_version)

    def delete_thread(self, thread_id: str) -> None:
        """Erases every session of the thread (the store's purge): nothing of it is left."""
        for sid in self._thread_sessions(thread_id):
            self._forget(sid)
            try:
                self.client.delete(sid, purge=True)
            except NotFound:
                pass

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """``keep_latest``: each namespace of each thread keeps only its latest checkpoint, with
        its pending writes (the store compacts the session to its head version, for good); the
        late writes to earlier checkpoints go with them. ``delete``: as delete_thread. A graph that
        uses LangGraph's (beta) DeltaChannel must not be pruned with keep_latest: the channel is
        rebuilt from the writes of earlier checkpoints, which this removes (LangGraph's own warning)."""
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}: keep_latest or delete")
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            for sid in self._thread_sessions(thread_id):
                try:
                    if sid.endswith(_WRITES_SUFFIX):
                        # Late writes belong to checkpoints that were not the head: none is kept.
                        self.client.delete(sid, purge=True)
                    else:
                        self._compact_to_head(sid)
                except (NotFound, Gone):
                    pass

    def _compact_to_head(self, sid: str) -> None:
        # Another compaction of the session (the store's sweeper, say) may be running: it holds
        # the session for moments, so wait for it rather than fail the prune.
        for attempt in range(8):
            try:
                self.client.compact(sid, keep_versions=1)
                return
            except Conflict:
                if attempt == 7:
                    raise
                time.sleep(0.05 * 2**attempt)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copies every checkpoint (newest version of each, with its writes), in order, and the late writes."""
        for sid in self._thread_sessions(source_thread_id):
            if sid.endswith(_WRITES_SUFFIX):
                continue
            items = list(self.client.iter_history(sid, page_size=1000))
            newest: Dict[str, int] = {}
            order: List[str] = []
            for item in reversed(items):
                checkpoint_id = (item.get("labels") or {}).get("checkpoint_id")
                if checkpoint_id is None:
                    continue
                if checkpoint_id not in newest:
                    order.append(checkpoint_id)
                newest[checkpoint_id] = item["version"]
            target_sid = None
            for checkpoint_id in order:
                loaded = self._load(sid, newest[checkpoint_id])
                if loaded is None:
                    continue
                # The writes that landed with its child become its own: the copy's versions follow
                # another order.
                writes = {**loaded[0]["writes"], **self._carried_writes(sid, checkpoint_id, newest[checkpoint_id])}
                doc = {**loaded[0], "thread_id": target_thread_id, "writes": writes, "parent_writes": {}}
                target_sid = self._sid(target_thread_id, doc["checkpoint_ns"])
                self._forget(target_sid)
                self.client.save(target_sid, doc, labels=self._labels(checkpoint_id, doc["metadata"]))
            late = self._load(sid + _WRITES_SUFFIX)
            if late is not None and target_sid is not None:
                self.client.save(target_sid + _WRITES_SUFFIX, late[0])

    def get_next_version(self, current: Optional[str], channel: None) -> str:
        if current is None:
            current_v = 0
        elif isinstance(current, int):
            current_v = current
        else:
            current_v = int(current.split(".")[0])
        return f"{current_v + 1:032}.{random.random():016}"

    # -- async: the same calls in a worker thread ---------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: Optional[RunnableConfig],
        *,
        filter: Optional[Dict[str, Any]] = None,
        before: Optional[RunnableConfig] = None,
        limit: Optional[int] = None,
    ) -> AsyncIterator[CheckpointTuple]:
        found = await asyncio.to_thread(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in found:
            yield item

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions) -> RunnableConfig:
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[Tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)
