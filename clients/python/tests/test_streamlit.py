import datetime as dt
import decimal
import os
import runpy
import sys
import threading
import unittest
import warnings
from pathlib import Path

from session_store import persist_session_state, restore_widget
from session_store.streamlit_helper import META_KEY

from .fake_streamlit import FakeStreamlit, RerunRequested
from .support import BASE_URL, HAVE_PANDAS, TOKEN, new_sid, require_server

APP = Path(__file__).resolve().parent.parent / "examples" / "app.py"


class PersistSessionStateTest(unittest.TestCase):
    def setUp(self):
        self.client = require_server(self)
        self.st = FakeStreamlit()

    def versions(self, sid):
        return len(list(self.client.iter_history(sid)))

    def test_a_new_tab_gets_a_session_id_in_the_url_and_saves_only_changes(self):
        sid = persist_session_state(client=self.client, st=self.st)
        self.assertEqual(self.st.query_params["sid"], sid)
        self.st.session_state["count"] = 1
        self.st.session_state["when"] = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        persist_session_state(client=self.client, st=self.st)  # the next rerun
        self.assertEqual(self.versions(sid), 1)
        persist_session_state(client=self.client, st=self.st)  # nothing changed: nothing written
        self.assertEqual(self.versions(sid), 1)
        self.st.session_state["count"] += 1
        persist_session_state(client=self.client, st=self.st)
        self.assertEqual(self.versions(sid), 2)

        # A reload: a new browser session with the same URL gets the state back.
        self.st.new_browser_session({"sid": sid})
        self.assertEqual(persist_session_state(client=self.client, st=self.st), sid)
        self.assertEqual(self.st.session_state["count"], 2)
        self.assertEqual(self.st.session_state["when"], dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        persist_session_state(client=self.client, st=self.st)
        self.assertEqual(self.versions(sid), 2)  # loading is not a change

    def test_keys_and_exclude_choose_what_is_kept(self):
        sid = new_sid("st")
        self.st.new_browser_session({"sid": sid})
        persist_session_state(keys=["kept", "secret"], exclude=["secret"], client=self.client, st=self.st)
        self.st.session_state.update(kept=1, secret="token", other=3)
        persist_session_state(keys=["kept", "secret"], exclude=["secret"], client=self.client, st=self.st)
        self.assertEqual(self.client.load(sid), {"kept": 1})

    def test_a_value_it_cannot_store_is_skipped_with_one_warning_naming_the_key(self):
        sid = new_sid("st")
        self.st.new_browser_session({"sid": sid})
        persist_session_state(client=self.client, st=self.st)
        with open(__file__) as handle:
            self.st.session_state.update(upload=handle, note="kept")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                persist_session_state(client=self.client, st=self.st)
                self.st.session_state["note"] = "changed"
                persist_session_state(client=self.client, st=self.st)
        messages = [str(w.message) for w in caught]
        self.assertEqual(len(messages), 1, messages)
        self.assertIn("'upload'", messages[0])
        self.assertEqual(self.client.load(sid), {"note": "changed"})  # no null in its place

    def test_restore_widget_lists_versions_and_restores_the_chosen_one(self):
        sid = new_sid("st")
        self.st.new_browser_session({"sid": sid})
        persist_session_state(client=self.client, st=self.st)
        for step in (1, 2, 3):
            self.st.session_state["step"] = step
            persist_session_state(client=self.client, st=self.st)
        self.assertIsNone(restore_widget(client=self.client, st=self.st))  # the button was not pressed
        options = next(entry for entry in self.st.rendered if entry[0] == "selectbox")[1]
        self.assertEqual(len(options), 3)
        self.assertTrue(options[0].startswith("v3 · "))
        self.st.inputs = {f"{META_KEY}:version": 1, f"{META_KEY}:restore": True}
        with self.assertRaises(RerunRequested):
            restore_widget(client=self.client, st=self.st)
        persist_session_state(client=self.client, st=self.st)  # the rerun loads the restored state
        self.assertEqual(self.st.session_state["step"], 1)
        history = self.client.history(sid)["items"]
        self.assertEqual((history[0]["kind"], history[0]["restored_from"]), ("restore", 1))
        self.assertEqual(len(history), 4)


class SharedClientTest(unittest.TestCase):
    """Apps share one Client across browser sessions (st.cache_resource), each run on its own
    thread: what the helper does to save in one tab must not change what another tab gets."""

    def test_saves_in_some_tabs_never_leave_a_load_in_another_undecoded(self):
        client = require_server(self)
        saved = {"when": dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc), "price": decimal.Decimal("9.99"), "tags": {"a", "b"}}
        other = new_sid("st")
        client.save(other, saved)
        saves = 100
        tabs = [new_sid("st") for _ in range(2)]
        barrier = threading.Barrier(len(tabs) + 1)
        saving = threading.Semaphore(0)  # released once by each saving tab when it is done
        errors = []
        wrong = []
        loads = []

        def save_in(sid):
            st = FakeStreamlit()
            st.new_browser_session({"sid": sid})
            try:
                persist_session_state(client=client, st=st)  # the first run: nothing to save yet
                barrier.wait()
                for i in range(saves):
                    st.session_state["count"] = i  # a change on every run: every run saves
                    st.session_state["when"] = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i)
                    persist_session_state(client=client, st=st)
            except BaseException as error:  # reported by the main thread
                errors.append(error)
                barrier.abort()
            finally:
                saving.release()

        def load_in_another_tab():
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            finished = 0
            try:
                while finished < len(tabs):  # until every saving tab is done
                    state = client.load(other)
                    loads.append(1)
                    if state != saved:
                        wrong.append(state)
                    while saving.acquire(blocking=False):
                        finished += 1
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=save_in, args=(sid,)) for sid in tabs] + [threading.Thread(target=load_in_another_tab)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(loads), 0)
        self.assertEqual(wrong[:3], [], f"{len(wrong)} of {len(loads)} loads came back undecoded")
        self.assertEqual(client.load(other), saved)  # and the client is left as it was
        for sid in tabs:
            self.assertEqual(len(list(client.iter_history(sid))), saves)
            # Each snapshot was encoded once, not twice: it loads back as the tab had it.
            self.assertEqual(client.load(sid), {"count": saves - 1, "when": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=saves - 1)})


@unittest.skipUnless(HAVE_PANDAS, "pandas is not installed (the example app needs it)")
class ExampleAppTest(unittest.TestCase):
    """Runs examples/app.py against the stand-in: each call of run() is one Streamlit rerun."""

    def setUp(self):
        self.client = require_server(self)
        self.st = FakeStreamlit()
        self._saved = {k: os.environ.get(k) for k in ("SESSION_STORE_URL", "SESSION_STORE_KEY")}
        os.environ["SESSION_STORE_URL"] = BASE_URL
        os.environ["SESSION_STORE_KEY"] = TOKEN
        sys.modules["streamlit"] = self.st

    def tearDown(self):
        sys.modules.pop("streamlit", None)
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def run_app(self, **inputs):
        self.st.inputs = dict(inputs)
        self.st.rendered = []
        try:
            runpy.run_path(str(APP), run_name="__main__")
        except RerunRequested:
            runpy.run_path(str(APP), run_name="__main__")

    def test_chat_and_table_survive_a_reload_and_restore_works(self):
        import pandas as pd

        self.run_app()
        sid = self.st.query_params["sid"]
        self.run_app(chat_input="hello")
        self.run_app(data_editor=lambda frame: pd.concat([frame, pd.DataFrame({"item": ["figs"], "qty": [7], "bought": pd.to_datetime(["2026-01-03"])})], ignore_index=True))
        self.run_app()  # a rerun with no input changes nothing
        versions = list(self.client.iter_history(sid))
        self.assertEqual(len(versions), 3)  # first run, the chat turn, the table edit

        table = self.st.session_state["table"]
        self.st.new_browser_session({"sid": sid})  # the tab is reloaded
        self.run_app()
        self.assertEqual([m["text"] for m in self.st.session_state["messages"]][0], "hello")
        self.assertIsInstance(self.st.session_state["messages"][0]["at"], dt.datetime)
        self.assertTrue(self.st.session_state["table"].equals(table))
        self.assertIn(("chat_message", "user"), self.st.rendered)

        self.run_app(**{f"{META_KEY}:version": 1, f"{META_KEY}:restore": True})
        self.assertEqual(self.st.session_state["messages"], [])
        self.assertEqual(len(self.st.session_state["table"]), 2)
        self.assertEqual(self.client.history(sid)["items"][0]["kind"], "restore")


if __name__ == "__main__":
    unittest.main()
