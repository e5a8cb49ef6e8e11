"""The Chainlit data layer, with the real (pinned) chainlit package, against the real store."""
import asyncio
import logging
import os
import unittest
import uuid

from session_store import Client, Gone

from .support import BASE_URL, TOKEN, new_sid, require_server

try:
    from chainlit.context import init_http_context
    from chainlit.data.base import BaseDataLayer
    from chainlit.element import Text
    from chainlit.types import Feedback, Pagination, ThreadFilter
    from chainlit.user import User

    from session_store.chainlit import DataLayerConfigError, SessionStoreDataLayer

    HAVE_CHAINLIT = True
except ImportError:
    HAVE_CHAINLIT = False

READ_TOKEN = os.environ.get("SST_READ_TOKEN")


def _step(thread_id, kind="user_message", text="hello", created="2026-01-01T00:00:00.000000Z", **extra):
    return {"id": str(uuid.uuid4()), "threadId": thread_id, "type": kind, "name": "user" if kind == "user_message" else "assistant",
            "output": text, "input": "", "createdAt": created, "metadata": {}, **extra}


class RecordingClient(Client):
    """The real client, noting each request's method and path (to show what a call reads)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = []

    def _request(self, method, path, **kwargs):
        self.requests.append((method, path))
        return super()._request(method, path, **kwargs)


@unittest.skipUnless(HAVE_CHAINLIT, "chainlit is not installed (npm test runs this in the chainlit environment)")
class ChainlitDataLayerTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        require_server(self)
        self.client = RecordingClient(BASE_URL, TOKEN, codec=False, retries=1, backoff=0.01)
        # A prefix per test: each test sees only its own users and threads.
        self.layer = SessionStoreDataLayer(client=self.client, prefix=new_sid("cl"))
        self.ada = await self.layer.create_user(User(identifier="ada@example.com", metadata={"role": "admin"}))
        self.bob = await self.layer.create_user(User(identifier="bob@example.com"))

    async def new_thread(self, user, name="a thread", **kwargs):
        thread_id = str(uuid.uuid4())
        init_http_context(thread_id=thread_id)
        await self.layer.update_thread(thread_id, name=name, user_id=user.id, **kwargs)
        return thread_id

    def thread_sid(self, thread_id):
        return f"{self.layer.prefix}.thread.{thread_id}"

    async def test_it_is_a_chainlit_data_layer(self):
        self.assertIsInstance(self.layer, BaseDataLayer)
        self.assertEqual(await self.layer.build_debug_url(), "")

    async def test_users_are_created_once_and_found_by_identifier(self):
        self.assertEqual((self.ada.identifier, self.ada.metadata), ("ada@example.com", {"role": "admin"}))
        found = await self.layer.get_user("ada@example.com")
        self.assertEqual((found.id, found.createdAt), (self.ada.id, self.ada.createdAt))
        self.assertNotEqual(self.ada.id, self.bob.id)
        again = await self.layer.create_user(User(identifier="ada@example.com", metadata={"role": "user"}))
        self.assertEqual((again.id, again.createdAt, again.metadata), (self.ada.id, self.ada.createdAt, {"role": "user"}))
        self.assertIsNone(await self.layer.get_user("nobody@example.com"))

    async def test_a_thread_keeps_name_user_tags_and_metadata(self):
        thread_id = await self.new_thread(self.ada, name="first", tags=["a"], metadata={"model": "x", "temperature": 0.2})
        await self.layer.update_thread(thread_id, metadata={"temperature": None, "env": {"k": "v"}})
        await self.layer.update_thread(thread_id, name="renamed", tags=["a", "b"])
        thread = await self.layer.get_thread(thread_id)
        self.assertEqual(thread["name"], "renamed")
        self.assertEqual((thread["userId"], thread["userIdentifier"]), (self.ada.id, "ada@example.com"))
        self.assertEqual(thread["tags"], ["a", "b"])
        self.assertEqual(thread["metadata"], {"model": "x", "env": {"k": "v"}})  # merged; None removed the key
        self.assertEqual(await self.layer.get_thread_author(thread_id), "ada@example.com")
        self.assertIsNone(await self.layer.get_thread(str(uuid.uuid4())))
        self.assertEqual(await self.layer.get_thread_author(str(uuid.uuid4())), "")

    async def test_steps_are_created_updated_and_deleted_each_as_one_patch_in_the_history(self):
        thread_id = await self.new_thread(self.ada)
        question = _step(thread_id, text="what is 2+2?", created="2026-01-01T00:00:01.000000Z")
        answer = _step(thread_id, kind="assistant_message", text="", created="2026-01-01T00:00:02.000000Z")
        await self.layer.create_step(answer)  # out of order on purpose: get_thread sorts by creation
        await self.layer.create_step(question)
        await self.layer.update_step({**answer, "output": "4"})
        thread = await self.layer.get_thread(thread_id)
        self.assertEqual([(s["type"], s["output"]) for s in thread["steps"]], [("user_message", "what is 2+2?"), ("assistant_message", "4")])

        versions = self.client.history(self.thread_sid(thread_id))["items"]
        self.assertEqual([v["kind"] for v in versions[:3]], ["patch", "patch", "patch"])
        self.assertEqual(versions[0]["message"], "updated assistant_message assistant")
        # The history is a session's like any other: the version before the update had no answer yet.
        earlier = self.client.load(self.thread_sid(thread_id), version=versions[1]["version"])
        self.assertEqual(earlier["steps"][answer["id"]]["output"], "")

        await self.layer.delete_step(question["id"])
        await self.layer.delete_step(question["id"])  # already gone: nothing to do
        thread = await self.layer.get_thread(thread_id)
        self.assertEqual([s["id"] for s in thread["steps"]], [answer["id"]])

    async def test_delete_step_finds_the_thread_of_the_chainlit_session_it_runs_in(self):
        thread_id = await self.new_thread(self.ada)
        step = _step(thread_id)
        await self.layer.create_step(step)
        # Another process (a restart): it has never seen the step, but runs in the thread's session.
        other = SessionStoreDataLayer(client=self.client, prefix=self.layer.prefix, check=False)
        init_http_context(thread_id=thread_id)
        await other.delete_step(step["id"])
        self.assertEqual((await self.layer.get_thread(thread_id))["steps"], [])

    async def test_elements_keep_their_metadata_and_leave_the_content_to_chainlit(self):
        thread_id = await self.new_thread(self.ada)
        step = _step(thread_id)
        await self.layer.create_step(step)
        element = Text(name="notes", content="the content stays with Chainlit", thread_id=thread_id, for_id=step["id"], url="https://files.example/notes.txt")
        await self.layer.create_element(element)
        saved = await self.layer.get_element(thread_id, element.id)
        self.assertEqual((saved["name"], saved["type"], saved["forId"], saved["url"]), ("notes", "text", step["id"], "https://files.example/notes.txt"))
        self.assertNotIn("content", saved)
        self.assertEqual([e["id"] for e in (await self.layer.get_thread(thread_id))["elements"]], [element.id])
        await self.layer.delete_element(element.id, thread_id)
        self.assertIsNone(await self.layer.get_element(thread_id, element.id))
        self.assertEqual((await self.layer.get_thread(thread_id))["elements"], [])

    async def test_feedback_is_kept_on_its_step_updated_and_deleted(self):
        thread_id = await self.new_thread(self.ada)
        answer = _step(thread_id, kind="assistant_message", text="4")
        await self.layer.create_step(answer)
        feedback_id = await self.layer.upsert_feedback(Feedback(forId=answer["id"], value=1, threadId=thread_id, comment="right"))
        step = (await self.layer.get_thread(thread_id))["steps"][0]
        self.assertEqual(step["feedback"], {"id": feedback_id, "forId": answer["id"], "value": 1, "comment": "right"})
        # Chainlit sends the id back when the user changes their mind.
        self.assertEqual(await self.layer.upsert_feedback(Feedback(forId=answer["id"], value=0, id=feedback_id, comment=None)), feedback_id)
        self.assertEqual((await self.layer.get_thread(thread_id))["steps"][0]["feedback"]["value"], 0)
        self.assertTrue(await self.layer.delete_feedback(feedback_id))
        self.assertNotIn("feedback", (await self.layer.get_thread(thread_id))["steps"][0])
        self.assertFalse(await self.layer.delete_feedback(feedback_id))

    async def test_favourite_steps_are_listed_per_user(self):
        thread_id = await self.new_thread(self.ada)
        answer = _step(thread_id, kind="assistant_message", text="keep this")
        await self.layer.create_step(answer)
        await self.layer.set_step_favorite(dict(answer), True)
        self.assertEqual([s["id"] for s in await self.layer.get_favorite_steps(self.ada.id)], [answer["id"]])
        self.assertEqual(await self.layer.get_favorite_steps(self.bob.id), [])
        await self.layer.set_step_favorite(dict(answer), False)
        self.assertEqual(await self.layer.get_favorite_steps(self.ada.id), [])

    async def test_list_threads_pages_through_a_users_threads_newest_first_without_reading_them(self):
        ids = [await self.new_thread(self.ada, name=f"thread {i}") for i in range(5)]
        await self.new_thread(self.bob, name="bob's")
        seen, cursor, pages = [], None, 0
        self.client.requests.clear()
        while True:
            page = await self.layer.list_threads(Pagination(first=2, cursor=cursor), ThreadFilter(userId=self.ada.id))
            pages += 1
            seen += [t["id"] for t in page.data]
            self.assertTrue(all(t["userIdentifier"] == "ada@example.com" for t in page.data))
            if not page.pageInfo.hasNextPage:
                break
            cursor = page.pageInfo.endCursor
        self.assertEqual(pages, 3)
        self.assertEqual(seen, list(reversed(ids)))  # most recently updated first, no repeats
        thread_reads = [path for method, path in self.client.requests if ".thread." in path]
        self.assertEqual(thread_reads, [], "listing read a thread's state")
        self.assertEqual(len(self.client.requests), pages)  # one read of the user's index per page

        # A thread updated later moves to the top.
        await self.layer.update_thread(ids[0], name="thread 0, renamed")
        page = await self.layer.list_threads(Pagination(first=1), ThreadFilter(userId=self.ada.id))
        self.assertEqual((page.data[0]["id"], page.data[0]["name"]), (ids[0], "thread 0, renamed"))

    async def test_list_threads_filters_by_search_text_and_feedback_and_keeps_users_apart(self):
        apples = await self.new_thread(self.ada, name="About Apples")
        await self.new_thread(self.ada, name="pears")
        bobs = await self.new_thread(self.bob, name="apples too")
        answer = _step(apples, kind="assistant_message", text="red")
        await self.layer.create_step(answer)
        await self.layer.upsert_feedback(Feedback(forId=answer["id"], value=0, threadId=apples))

        async def names(**filters):
            page = await self.layer.list_threads(Pagination(first=20), ThreadFilter(**filters))
            return sorted(t["name"] for t in page.data)

        self.assertEqual(await names(userId=self.ada.id, search="apple"), ["About Apples"])
        self.assertEqual(await names(userId=self.bob.id, search="apple"), ["apples too"])
        self.assertEqual(await names(userId=self.ada.id, feedback=0), ["About Apples"])
        self.assertEqual(await names(userId=self.ada.id, feedback=1), [])
        self.assertEqual(await names(userId=self.bob.id), ["apples too"])
        self.assertEqual(await names(search="apple"), ["About Apples", "apples too"])  # no user: every user's
        self.assertEqual(await self.layer.get_thread_author(bobs), "bob@example.com")

    async def test_a_deleted_thread_is_gone_from_the_list_and_its_session_is_gone(self):
        kept = await self.new_thread(self.ada, name="kept")
        deleted = await self.new_thread(self.ada, name="deleted")
        await self.layer.delete_thread(deleted)
        page = await self.layer.list_threads(Pagination(first=20), ThreadFilter(userId=self.ada.id))
        self.assertEqual([t["id"] for t in page.data], [kept])
        self.assertIsNone(await self.layer.get_thread(deleted))
        self.assertEqual(await self.layer.get_thread_author(deleted), "")
        with self.assertRaises(Gone):
            self.client.load(self.thread_sid(deleted))

    async def test_a_refused_write_is_logged_with_its_reason_and_raised(self):
        thread_id = await self.new_thread(self.ada)
        self.client.delete(self.thread_sid(thread_id))  # deleted behind the layer's back: writes are 410
        with self.assertLogs("session_store.chainlit", logging.ERROR) as logs, self.assertRaises(Gone):
            await self.layer.create_step(_step(thread_id))
        self.assertIn("create_step failed: Gone", logs.output[0])

    async def test_the_start_up_check_says_which_of_the_store_and_the_key_failed(self):
        with self.assertLogs("session_store.chainlit", logging.ERROR) as logs, self.assertRaises(DataLayerConfigError) as raised:
            SessionStoreDataLayer("http://127.0.0.1:9", TOKEN, client=Client("http://127.0.0.1:9", TOKEN, retries=0))
        self.assertIn("unreachable", str(raised.exception))
        self.assertIn("unreachable", logs.output[0])
        with self.assertLogs("session_store.chainlit", logging.ERROR), self.assertRaises(DataLayerConfigError) as raised:
            SessionStoreDataLayer(BASE_URL, "sst_000000000000_notakeyatall")
        self.assertIn("refused the key (401)", str(raised.exception))
        if READ_TOKEN:
            with self.assertLogs("session_store.chainlit", logging.ERROR), self.assertRaises(DataLayerConfigError) as raised:
                SessionStoreDataLayer(BASE_URL, READ_TOKEN)
            self.assertIn("read key", str(raised.exception))
        self.assertEqual(SessionStoreDataLayer(BASE_URL, TOKEN).check()["role"], "write")

    async def test_concurrent_writes_to_a_thread_apply_in_the_order_chainlit_made_them(self):
        thread_id = await self.new_thread(self.ada)
        step = _step(thread_id, kind="assistant_message", text="")
        # Chainlit fires these as separate tasks, as a streamed answer does.
        tasks = [asyncio.create_task(self.layer.create_step(dict(step)))]
        tasks += [asyncio.create_task(self.layer.update_step({**step, "output": "token " * n})) for n in range(1, 6)]
        await asyncio.gather(*tasks)
        self.assertEqual((await self.layer.get_thread(thread_id))["steps"][0]["output"], "token " * 5)


if __name__ == "__main__":
    unittest.main()
