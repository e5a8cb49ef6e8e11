"""A Chainlit data layer on the session-state store: chat threads that persist, with a history.

    import chainlit as cl
    from session_store.chainlit import SessionStoreDataLayer

    @cl.data_layer
    def data_layer():
        return SessionStoreDataLayer()   # SESSION_STORE_URL, SESSION_STORE_KEY

Needs the `chainlit` extra (`pip install "./clients/python[chainlit]"`). How Chainlit's users,
threads, steps, elements and feedback map to sessions is written down in the README
("Chainlit data layer").

- One session per thread, `<prefix>.thread.<thread id>`, whose state is the whole thread. Every
  change is one RFC 6902 PATCH (a step created is `add /steps/<id>`, a step deleted `remove`...),
  with a message naming what changed, so a thread's history can be browsed, compared and restored
  like any session's.
- One session per user, `<prefix>.user.<user id>`, and one index per user,
  `<prefix>.user.<user id>.threads`, holding what the thread list shows (name, dates, tags,
  feedback values) and the user's favourite steps: listing a user's threads reads that index
  only, never the threads' states.
- Misconfiguration is loud: the constructor checks /readyz and the key once and raises
  DataLayerConfigError saying which failed; every failed call is logged as an error with its
  reason and raised to Chainlit, never swallowed.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging
import os
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar

from chainlit.data.base import BaseDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.types import Feedback, PageInfo, PaginatedResponse, Pagination, ThreadDict, ThreadFilter
from chainlit.user import PersistedUser, User

from .client import Client
from .errors import ConnectionFailed, Gone, NotFound, PreconditionFailed, SessionStoreError, Unauthorized

logger = logging.getLogger("session_store.chainlit")

T = TypeVar("T")

#: What a session id may hold after the prefix (the store's rule, less the first character).
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,90}$")


class DataLayerConfigError(RuntimeError):
    """The store cannot be used as configured: unreachable, not ready, or the key refused."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _pointer(*parts: str) -> str:
    """A JSON Pointer (RFC 6901) from raw member names."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _user_id(identifier: str) -> str:
    # Deterministic, so get_user(identifier) needs no lookup table; hex, so it fits a session id.
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]


def _loud(operation: str) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """Logs a failure with its reason (Chainlit runs most writes as fire-and-forget tasks, where an
    exception alone goes unseen), then raises it."""

    def wrap(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(method)
        async def run(self: "SessionStoreDataLayer", *args: Any, **kwargs: Any) -> T:
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:
                logger.error("session store data layer: %s failed: %s: %s", operation, type(error).__name__, error)
                raise

        return run

    return wrap


class SessionStoreDataLayer(BaseDataLayer):
    def __init__(
        self,
        base_url: Optional[str] = None,
        key: Optional[str] = None,
        *,
        prefix: str = "chainlit",
        client: Optional[Client] = None,
        check: bool = True,
    ) -> None:
        """`base_url` and `key` default to SESSION_STORE_URL (else http://127.0.0.1:8080) and
        SESSION_STORE_KEY; `client` replaces both. `prefix` starts every session id this layer
        uses (one prefix per app keeps apps apart in one tenant). `check` verifies the store and
        the key now (DataLayerConfigError naming what failed)."""
        if client is None:
            url = base_url or os.environ.get("SESSION_STORE_URL", "http://127.0.0.1:8080")
            token = key if key is not None else os.environ.get("SESSION_STORE_KEY")
            if not token:
                raise self._config_error("no key: pass key= or set SESSION_STORE_KEY")
            client = Client(url, token, codec=False)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,30}", prefix):
            raise ValueError(f"prefix {prefix!r}: 1 to 31 characters of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit")
        self.client = client
        self.prefix = prefix
        self._locks: Dict[str, asyncio.Lock] = {}
        self._thread_of_step: Dict[str, str] = {}
        if check:
            self.check()

    @staticmethod
    def _config_error(reason: str) -> DataLayerConfigError:
        logger.error("session store data layer: %s", reason)
        return DataLayerConfigError(reason)

    def check(self) -> Dict[str, Any]:
        """The start-up check: the store answers /readyz, then the key is accepted and may write.
        Returns the key's identity; raises DataLayerConfigError saying which of the two failed."""
        where = self.client.base_url
        try:
            self.client.ready()
        except ConnectionFailed as error:
            raise self._config_error(f"the session store at {where} is unreachable: {error}") from error
        except SessionStoreError as error:
            raise self._config_error(f"the session store at {where} is not ready ({error.status}): {error.detail}") from error
        try:
            identity = self.client.whoami()
        except Unauthorized as error:
            raise self._config_error(f"the session store at {where} refused the key (401): {error.detail}") from error
        except (SessionStoreError, ConnectionFailed) as error:
            raise self._config_error(f"the session store at {where} did not accept the key: {error}") from error
        if identity.get("role") == "read":
            raise self._config_error(f"the key {identity.get('key_id')} is a read key: the data layer needs a write key")
        logger.info("session store data layer: %s ready, key %s (%s, tenant %s)", where, identity.get("key_id"), identity.get("role"), identity.get("tenant"))
        return identity

    # -- session ids and plumbing -----------------------------------------------------------

    def _checked(self, kind: str, value: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise ValueError(f"{kind} id {value!r} cannot name a session: 1 to 91 characters of A-Z a-z 0-9 . _ : @ -")
        return value

    def _thread_sid(self, thread_id: str) -> str:
        return f"{self.prefix}.thread.{self._checked('thread', thread_id)}"

    def _user_sid(self, user_id: str) -> str:
        return f"{self.prefix}.user.{self._checked('user', user_id)}"

    def _index_sid(self, user_id: str) -> str:
        return self._user_sid(user_id) + ".threads"

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # The client is synchronous (standard library): off the event loop.
        return await asyncio.to_thread(function, *args, **kwargs)

    async def _load(self, sid: str) -> Optional[Dict[str, Any]]:
        try:
            return await self._call(self.client.load, sid)
        except (NotFound, Gone):  # never saved, or deleted
            return None

    def _lock(self, thread_id: str) -> asyncio.Lock:
        # Chainlit fires create_step, update_step... as separate tasks: applied in the order called.
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock

    async def _ensure_thread(self, thread_id: str) -> None:
        skeleton = {"id": thread_id, "createdAt": _now(), "updatedAt": None, "name": None, "userId": None, "userIdentifier": None,
                    "tags": [], "metadata": {}, "steps": {}, "elements": {}, "feedback": {}}
        try:
            await self._call(self.client.save, self._thread_sid(thread_id), skeleton, message="thread created", create_only=True)
        except PreconditionFailed:
            pass  # it exists already

    async def _patch_thread(self, thread_id: str, operations: List[Dict[str, Any]], message: str) -> None:
        sid = self._thread_sid(thread_id)
        try:
            await self._call(self.client.patch, sid, operations, message=message)
        except NotFound:
            await self._ensure_thread(thread_id)
            await self._call(self.client.patch, sid, operations, message=message)

    async def _patch_index(self, user_id: str, operations: List[Dict[str, Any]], message: str) -> None:
        sid = self._index_sid(user_id)
        try:
            await self._call(self.client.patch, sid, operations, message=message)
        except NotFound:
            try:
                await self._call(self.client.save, sid, {"threads": {}, "favorites": {}}, message="index created", create_only=True)
            except PreconditionFailed:
                pass
            await self._call(self.client.patch, sid, operations, message=message)

    async def _remove_from_index(self, user_id: str, paths: List[List[str]], message: str) -> None:
        """Removes those of `paths` the user's index holds (a remove of a missing path is a 422)."""
        index = await self._load(self._index_sid(user_id))
        present = []
        for path in paths:
            node: Any = index
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                present.append({"op": "remove", "path": _pointer(*path)})
        if present:
            await self._call(self.client.patch, self._index_sid(user_id), present, message=message)

    def _thread_id_for(self, step_id: str, given: Optional[str] = None) -> str:
        """The thread of a step, for the calls that name only the step (delete_step,
        delete_feedback): known from this process's own writes, else from the Chainlit session
        the call runs in."""
        if given:
            return given
        known = self._thread_of_step.get(step_id)
        if known:
            return known
        try:
            from chainlit.context import context

            return context.session.thread_id
        except Exception as error:
            raise LookupError(f"the thread of step {step_id!r} is not known here and no Chainlit session is running") from error

    # -- users ------------------------------------------------------------------------------

    @_loud("get_user")
    async def get_user(self, identifier: str) -> Optional[PersistedUser]:
        saved = await self._load(self._user_sid(_user_id(identifier)))
        if saved is None:
            return None
        return PersistedUser(id=saved["id"], identifier=saved["identifier"], createdAt=saved["createdAt"], metadata=saved.get("metadata") or {}, display_name=saved.get("display_name"))

    @_loud("create_user")
    async def create_user(self, user: User) -> Optional[PersistedUser]:
        user_id = _user_id(user.identifier)
        sid = self._user_sid(user_id)
        record = {"id": user_id, "identifier": user.identifier, "createdAt": _now(), "metadata": user.metadata or {}, "display_name": user.display_name}
        try:
            await self._call(self.client.save, sid, record, message="user created", create_only=True)
        except PreconditionFailed:
            # Known already: its metadata (what the auth callback returned this time) is updated.
            await self._call(self.client.patch, sid, [
                {"op": "replace", "path": "/metadata", "value": user.metadata or {}},
                {"op": "replace", "path": "/display_name", "value": user.display_name},
            ], message="user signed in")
        return await self.get_user(user.identifier)

    # -- threads ----------------------------------------------------------------------------

    @_loud("update_thread")
    async def update_thread(
        self,
        thread_id: str,
        name: Optional[str] = None,
        user_id: Optional[str] = None,
        metadata: Optional[Dict] = None,
        tags: Optional[List[str]] = None,
    ) -> None:
        async with self._lock(thread_id):
            await self._ensure_thread(thread_id)
            if name is None and user_id is None and metadata is None and tags is None:
                return
            thread = await self._call(self.client.load, self._thread_sid(thread_id))
            now = _now()
            if name is None and metadata and isinstance(metadata.get("name"), str):
                name = metadata["name"]
            operations: List[Dict[str, Any]] = [{"op": "replace", "path": "/updatedAt", "value": now}]
            changed = []
            if name is not None:
                name = name[:255]
                operations.append({"op": "replace", "path": "/name", "value": name})
                changed.append("name")
            if tags is not None:
                operations.append({"op": "replace", "path": "/tags", "value": list(tags)})
                changed.append("tags")
            if metadata is not None:
                # As Chainlit's own layers do: keys merge into the metadata, a None value removes its key.
                for key, value in metadata.items():
                    if value is None:
                        if key in (thread.get("metadata") or {}):
                            operations.append({"op": "remove", "path": _pointer("metadata", key)})
                    else:
                        operations.append({"op": "add", "path": _pointer("metadata", key), "value": value})
                changed.append("metadata")
            previous_user = thread.get("userId")
            identifier = thread.get("userIdentifier")
            if user_id is not None and user_id != previous_user:
                owner = await self._load(self._user_sid(user_id))
                if owner is None:
                    raise LookupError(f"no user {user_id!r}: create_user first")
                identifier = owner["identifier"]
                operations.append({"op": "replace", "path": "/userId", "value": user_id})
                operations.append({"op": "replace", "path": "/userIdentifier", "value": identifier})
                changed.append("user")
            await self._patch_thread(thread_id, operations, message=f"thread: {', '.join(changed)}")

            owner_id = user_id if user_id is not None else previous_user
            if owner_id is None:
                return
            if previous_user and previous_user != owner_id:
                await self._remove_from_index(previous_user, [["threads", thread_id]], message=f"thread {thread_id} moved to another user")
            entry = {
                "name": name if name is not None else thread.get("name"),
                "createdAt": thread.get("createdAt"),
                "updatedAt": now,
                "tags": list(tags) if tags is not None else thread.get("tags") or [],
                "userIdentifier": identifier,
                "feedback": {step: item["value"] for step, item in (thread.get("feedback") or {}).items()},
            }
            await self._patch_index(owner_id, [{"op": "add", "path": _pointer("threads", thread_id), "value": entry}], message=f"thread {thread_id}: {', '.join(changed)}")

    @_loud("get_thread_author")
    async def get_thread_author(self, thread_id: str) -> str:
        thread = await self._load(self._thread_sid(thread_id))
        return (thread or {}).get("userIdentifier") or ""

    @_loud("get_thread")
    async def get_thread(self, thread_id: str) -> Optional[ThreadDict]:
        thread = await self._load(self._thread_sid(thread_id))
        if thread is None:
            return None
        feedback = thread.get("feedback") or {}
        steps = []
        for position, step in enumerate((thread.get("steps") or {}).values()):
            step = dict(step)
            if step["id"] in feedback:
                step["feedback"] = feedback[step["id"]]
            self._thread_of_step[step["id"]] = thread_id
            steps.append((step.get("createdAt") or step.get("start") or "", position, step))
        steps.sort(key=lambda item: (item[0], item[1]))
        return ThreadDict(
            id=thread["id"],
            createdAt=thread["createdAt"],
            name=thread.get("name"),
            userId=thread.get("userId"),
            userIdentifier=thread.get("userIdentifier"),
            tags=thread.get("tags") or [],
            metadata=thread.get("metadata") or {},
            steps=[step for _, _, step in steps],
            elements=list((thread.get("elements") or {}).values()),
        )

    @_loud("delete_thread")
    async def delete_thread(self, thread_id: str) -> None:
        async with self._lock(thread_id):
            thread = await self._load(self._thread_sid(thread_id))
            if thread is None:
                return
            # Out of the list first: a thread listed but gone would fail to open.
            if thread.get("userId"):
                paths = [["threads", thread_id]] + [["favorites", step] for step in (thread.get("steps") or {})]
                await self._remove_from_index(thread["userId"], paths, message=f"thread {thread_id} deleted")
            await self._call(self.client.delete, self._thread_sid(thread_id))

    @_loud("list_threads")
    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse[ThreadDict]:
        if filters.userId:
            users = [filters.userId]
        else:
            users = await self._call(self._all_indexed_users)
        rows = []
        for user_id in users:
            index = await self._load(self._index_sid(user_id))
            for thread_id, entry in ((index or {}).get("threads") or {}).items():
                rows.append((thread_id, user_id, entry))
        if filters.search:
            needle = filters.search.casefold()
            rows = [row for row in rows if needle in (row[2].get("name") or "").casefold()]
        if filters.feedback is not None:
            rows = [row for row in rows if filters.feedback in (row[2].get("feedback") or {}).values()]
        # Most recently updated first; the thread id breaks ties, so pages never overlap.
        rows.sort(key=lambda row: (row[2].get("updatedAt") or row[2].get("createdAt") or "", row[0]), reverse=True)
        if pagination.cursor:
            positions = [i for i, row in enumerate(rows) if row[0] == pagination.cursor]
            rows = rows[positions[0] + 1:] if positions else []
        page, more = rows[: pagination.first], len(rows) > pagination.first
        data = [
            ThreadDict(
                id=thread_id, createdAt=entry.get("createdAt"), name=entry.get("name"), userId=user_id,
                userIdentifier=entry.get("userIdentifier"), tags=entry.get("tags") or [], metadata=None, steps=[], elements=[],
            )
            for thread_id, user_id, entry in page
        ]
        return PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=more, startCursor=data[0]["id"] if data else None, endCursor=data[-1]["id"] if data else None),
            data=data,
        )

    def _all_indexed_users(self) -> List[str]:
        users, cursor = [], None
        start = f"{self.prefix}.user."
        while True:
            page = self.client.list_sessions(prefix=start, limit=1000, cursor=cursor)
            users += [item["session_id"][len(start):-len(".threads")] for item in page["items"] if item["session_id"].endswith(".threads")]
            cursor = page["next"]
            if not cursor:
                return users

    # -- steps ------------------------------------------------------------------------------

    async def _write_step(self, step_dict: Dict[str, Any], verb: str) -> None:
        thread_id = step_dict.get("threadId")
        if not thread_id:
            raise ValueError(f"step {step_dict.get('id')!r} has no threadId")
        step = {key: value for key, value in step_dict.items() if key != "feedback"}
        step.setdefault("createdAt", _now())
        self._thread_of_step[step["id"]] = thread_id
        async with self._lock(thread_id):
            await self._patch_thread(thread_id, [{"op": "add", "path": _pointer("steps", step["id"]), "value": step}],
                                     message=f"{verb} {step.get('type', 'step')} {step.get('name') or ''}".strip())
            favourite = (step.get("metadata") or {}).get("favorite")
            if favourite is not None:
                thread = await self._call(self.client.load, self._thread_sid(thread_id))
                if thread.get("userId") and favourite:
                    await self._patch_index(thread["userId"], [{"op": "add", "path": _pointer("favorites", step["id"]), "value": step}], message=f"step {step['id']} marked favourite")
                elif thread.get("userId"):
                    await self._remove_from_index(thread["userId"], [["favorites", step["id"]]], message=f"step {step['id']} no longer favourite")

    @queue_until_user_message()
    @_loud("create_step")
    async def create_step(self, step_dict: Dict[str, Any]) -> None:
        await self._write_step(step_dict, "created")

    @queue_until_user_message()
    @_loud("update_step")
    async def update_step(self, step_dict: Dict[str, Any]) -> None:
        await self._write_step(step_dict, "updated")

    @queue_until_user_message()
    @_loud("delete_step")
    async def delete_step(self, step_id: str) -> None:
        thread_id = self._thread_id_for(step_id)
        async with self._lock(thread_id):
            thread = await self._call(self.client.load, self._thread_sid(thread_id))
            if step_id not in (thread.get("steps") or {}):
                return
            operations = [{"op": "remove", "path": _pointer("steps", step_id)}]
            operations += [{"op": "remove", "path": _pointer("elements", element_id)} for element_id, element in (thread.get("elements") or {}).items() if element.get("forId") == step_id]
            if step_id in (thread.get("feedback") or {}):
                operations.append({"op": "remove", "path": _pointer("feedback", step_id)})
            await self._patch_thread(thread_id, operations, message=f"deleted step {thread['steps'][step_id].get('name') or step_id}")
            if thread.get("userId"):
                await self._remove_from_index(thread["userId"], [["favorites", step_id], ["threads", thread_id, "feedback", step_id]], message=f"step {step_id} deleted")

    @_loud("get_favorite_steps")
    async def get_favorite_steps(self, user_id: str) -> List[Dict[str, Any]]:
        index = await self._load(self._index_sid(user_id))
        favourites = list(((index or {}).get("favorites") or {}).values())
        return sorted(favourites, key=lambda step: step.get("createdAt") or "", reverse=True)

    # -- elements ---------------------------------------------------------------------------

    @queue_until_user_message()
    @_loud("create_element")
    async def create_element(self, element: Any) -> None:
        # Metadata only: the file's content stays where Chainlit keeps it (its url, path or storage key).
        if not element.thread_id:
            raise ValueError(f"element {element.id!r} has no thread_id")
        record = {
            "id": element.id, "threadId": element.thread_id, "type": element.type, "name": element.name, "mime": element.mime,
            "url": element.url, "path": str(element.path) if getattr(element, "path", None) else None,
            "objectKey": getattr(element, "object_key", None), "chainlitKey": element.chainlit_key, "display": element.display,
            "size": getattr(element, "size", None), "language": getattr(element, "language", None), "page": getattr(element, "page", None),
            "props": getattr(element, "props", None) or {}, "autoPlay": getattr(element, "auto_play", None),
            "playerConfig": getattr(element, "player_config", None), "forId": element.for_id,
        }
        async with self._lock(element.thread_id):
            await self._patch_thread(element.thread_id, [{"op": "add", "path": _pointer("elements", element.id), "value": record}],
                                     message=f"element {element.type} {element.name}".strip())

    @_loud("get_element")
    async def get_element(self, thread_id: str, element_id: str) -> Optional[Dict[str, Any]]:
        thread = await self._load(self._thread_sid(thread_id))
        return ((thread or {}).get("elements") or {}).get(element_id)

    @queue_until_user_message()
    @_loud("delete_element")
    async def delete_element(self, element_id: str, thread_id: Optional[str] = None) -> None:
        if thread_id is None:
            from chainlit.context import context

            thread_id = context.session.thread_id
        async with self._lock(thread_id):
            thread = await self._load(self._thread_sid(thread_id))
            if thread is None or element_id not in (thread.get("elements") or {}):
                return
            await self._patch_thread(thread_id, [{"op": "remove", "path": _pointer("elements", element_id)}], message=f"element {element_id} deleted")

    # -- feedback ---------------------------------------------------------------------------

    @_loud("upsert_feedback")
    async def upsert_feedback(self, feedback: Feedback) -> str:
        step_id = feedback.forId
        thread_id = feedback.threadId or (feedback.id.split("/", 1)[0] if feedback.id and "/" in feedback.id else None) or self._thread_id_for(step_id)
        # The id names the thread and the step, so that delete_feedback(id) finds them again.
        feedback_id = f"{thread_id}/{step_id}"
        record = {"id": feedback_id, "forId": step_id, "value": feedback.value, "comment": feedback.comment}
        async with self._lock(thread_id):
            await self._patch_thread(thread_id, [{"op": "add", "path": _pointer("feedback", step_id), "value": record}],
                                     message=f"feedback {'+' if feedback.value else '-'} on {step_id}")
            thread = await self._call(self.client.load, self._thread_sid(thread_id))
            if thread.get("userId"):
                index = await self._load(self._index_sid(thread["userId"]))
                if thread_id in ((index or {}).get("threads") or {}):
                    await self._call(self.client.patch, self._index_sid(thread["userId"]),
                                     [{"op": "add", "path": _pointer("threads", thread_id, "feedback", step_id), "value": feedback.value}],
                                     message=f"thread {thread_id}: feedback")
        return feedback_id

    @_loud("delete_feedback")
    async def delete_feedback(self, feedback_id: str) -> bool:
        thread_id, _, step_id = feedback_id.partition("/")
        if not step_id:
            raise ValueError(f"{feedback_id!r} is not a feedback id of this data layer (<thread id>/<step id>)")
        async with self._lock(thread_id):
            thread = await self._load(self._thread_sid(thread_id))
            if thread is None or step_id not in (thread.get("feedback") or {}):
                return False
            await self._patch_thread(thread_id, [{"op": "remove", "path": _pointer("feedback", step_id)}], message=f"feedback on {step_id} deleted")
            if thread.get("userId"):
                await self._remove_from_index(thread["userId"], [["threads", thread_id, "feedback", step_id]], message=f"thread {thread_id}: feedback deleted")
        return True

    # -- the rest of BaseDataLayer ----------------------------------------------------------

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        return None


__all__ = ["SessionStoreDataLayer", "DataLayerConfigError"]
