"""The Streamlit helpers under the real Streamlit (streamlit.testing.v1.AppTest, which runs an app
script the way `streamlit run` does: each run() is one rerun of the whole script, with Streamlit's
own st.session_state, st.query_params and widget rules), against the real store."""
import datetime as dt
import decimal
import os
import textwrap
import threading
import types
import unittest
from pathlib import Path

from session_store import persist_session_state
from session_store.streamlit_helper import META_KEY

from .support import BASE_URL, TOKEN, new_sid, require_server

try:
    from streamlit.testing.v1 import AppTest

    HAVE_STREAMLIT = True
except ImportError:  # pragma: no cover - the streamlit environment of the tests has it
    HAVE_STREAMLIT = False

APP = Path(__file__).resolve().parent.parent / "examples" / "app.py"
TIMEOUT = 30

# A small app with the four kinds of widget-bound keys the issue names, a counter kept by the app,
# the restore widget, and both calls of the helper (first and last line).
WIDGETS_APP = textwrap.dedent(
    """
    import datetime as dt
    import threading
    import pandas as pd
    import streamlit as st
    from session_store import persist_session_state, restore_widget

    OPTIONS = dict(exclude=["secret"])
    persist_session_state(**OPTIONS)

    if "count" not in st.session_state:
        st.session_state.count = 0
    if "table" not in st.session_state:
        st.session_state.table = pd.DataFrame({"item": ["apples", "pears"], "qty": [3, 5]})

    st.text_input("Name", key="name")
    st.checkbox("Agree", key="agree")
    st.selectbox("Colour", ["red", "green", "blue"], key="colour")
    st.data_editor(st.session_state.table, key="grid")
    if st.button("Count", key="count_button"):
        st.session_state.count += 1
        st.session_state.counted_at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=st.session_state.count)
    st.file_uploader("Upload", key="upload")
    if st.button("Lock", key="lock_button"):
        st.session_state.lock = threading.Lock()
        st.session_state.secret = "not for the store"
    st.markdown(f"count={st.session_state.count}")
    with st.sidebar:
        restore_widget()
    persist_session_state(**OPTIONS)
    """
)


@unittest.skipUnless(HAVE_STREAMLIT, "streamlit is not installed (npm test runs this in the streamlit environment)")
class RealStreamlitTest(unittest.TestCase):
    def setUp(self):
        self.client = require_server(self)
        self._saved = {k: os.environ.get(k) for k in ("SESSION_STORE_URL", "SESSION_STORE_KEY")}
        os.environ["SESSION_STORE_URL"] = BASE_URL
        os.environ["SESSION_STORE_KEY"] = TOKEN

    def tearDown(self):
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def open_tab(self, sid=None, script=WIDGETS_APP):
        """A new browser session (a new tab, a reload or a redeployed app), with ?sid= if given."""
        at = AppTest.from_string(script, default_timeout=TIMEOUT)
        if sid is not None:
            at.query_params["sid"] = sid
        return self.run_app(at)

    def run_app(self, target):
        """One rerun: of the app, or after an input to one of its widgets (widget.run() reruns its app)."""
        at = target.run()
        self.assertEqual(list(at.exception), [], "the app raised")
        return at

    def versions(self, sid):
        return [item["version"] for item in self.client.iter_history(sid)]

    def test_the_first_run_puts_a_new_session_id_in_the_url_and_a_reload_gets_the_state_back(self):
        at = self.open_tab()
        sid = at.query_params["sid"]
        self.assertRegex(sid, r"^st-[A-Za-z0-9-]{16}$")
        self.assertEqual(len(self.versions(sid)), 1)  # the widgets' first values
        self.run_app(at.button(key="count_button").click())
        self.run_app(at.button(key="count_button").click())
        self.assertEqual(at.session_state["count"], 2)

        # A reload (and a redeploy, to the app: a new process has nothing but the URL): same URL, new session.
        again = self.open_tab(sid)
        self.assertEqual(again.query_params["sid"], sid)
        self.assertEqual(again.session_state["count"], 2)
        self.assertEqual(again.session_state["counted_at"], dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc))
        self.assertTrue(again.session_state["table"].equals(at.session_state["table"]))
        self.assertIn("count=2", [m.value for m in again.markdown])

    def test_widget_bound_keys_come_back_into_their_widgets_without_an_error(self):
        at = self.open_tab()
        sid = at.query_params["sid"]
        self.run_app(at.text_input(key="name").input("Ada"))
        self.run_app(at.checkbox(key="agree").check())
        self.run_app(at.selectbox(key="colour").select("blue"))
        saved = self.client.load(sid)
        self.assertEqual({k: saved[k] for k in ("name", "agree", "colour")}, {"name": "Ada", "agree": True, "colour": "blue"})

        again = self.open_tab(sid)
        self.assertEqual(again.text_input(key="name").value, "Ada")
        self.assertTrue(again.checkbox(key="agree").value)
        self.assertEqual(again.selectbox(key="colour").value, "blue")
        # The data editor shows the table the app keeps in its own key; the restored widget can still be used.
        self.assertTrue(again.session_state["table"].equals(at.session_state["table"]))
        self.run_app(again.text_input(key="name").input("Grace"))
        self.assertEqual(self.client.load(sid)["name"], "Grace")

    def test_keys_streamlit_does_not_let_the_app_set_are_never_saved(self):
        # Buttons, the file uploader, the data editor's edits and the helper's own widgets: restoring
        # any of them would make Streamlit raise when the widget is created.
        at = self.open_tab()
        sid = at.query_params["sid"]
        self.run_app(at.button(key="count_button").click())
        saved = self.client.load(sid)
        for key in ("count_button", "lock_button", "upload", "grid", f"{META_KEY}:version", f"{META_KEY}:restore"):
            self.assertIn(key, at.session_state, f"{key} is in st.session_state")
            self.assertNotIn(key, saved)
        self.assertEqual(self.open_tab(sid).session_state["count"], 1)

    def test_excluded_and_unencodable_keys_are_skipped_with_one_warning_each(self):
        at = self.open_tab()
        sid = at.query_params["sid"]
        with self.assertLogs("session_store", "WARNING") as logs:
            self.run_app(at.button(key="lock_button").click())
            self.run_app(at.button(key="count_button").click())
            self.run_app(at.text_input(key="name").input("changed"))
        lock_warnings = [line for line in logs.output if "'lock'" in line]
        self.assertEqual(len(lock_warnings), 1, logs.output)
        self.assertFalse([line for line in logs.output if "'secret'" in line], "an excluded key is not warned about")
        saved = self.client.load(sid)
        self.assertNotIn("lock", saved)  # no null in its place
        self.assertNotIn("secret", saved)
        self.assertEqual((saved["count"], saved["name"]), (1, "changed"))

    def test_a_data_editor_key_is_skipped_with_one_warning_naming_it(self):
        with self.assertLogs("session_store", "WARNING") as logs:
            at = self.open_tab()
            self.run_app(at)
            self.run_app(at)
        grid = [line for line in logs.output if "'grid'" in line]
        self.assertEqual(len(grid), 1, logs.output)
        self.assertIn("keep the data it shows in a key of your own", grid[0])

    def test_a_rerun_that_changes_nothing_saves_nothing(self):
        at = self.open_tab()
        sid = at.query_params["sid"]
        self.run_app(at.text_input(key="name").input("Ada"))
        before = self.versions(sid)
        for _ in range(3):
            self.run_app(at)
        self.run_app(at.checkbox(key="agree").check().uncheck())  # back where it was: no change
        self.assertEqual(self.versions(sid), before)
        again = self.open_tab(sid)  # loading is not a change either
        self.run_app(again)
        self.assertEqual(self.versions(sid), before)

    def test_a_restore_from_the_widget_takes_effect_in_the_next_run(self):
        at = self.open_tab()
        sid = at.query_params["sid"]
        self.run_app(at.text_input(key="name").input("Ada"))
        self.run_app(at.text_input(key="name").input("Grace"))
        history = self.client.history(sid)["items"]
        ada = next(item["version"] for item in history if self.client.load(sid, version=item["version"]).get("name") == "Ada")
        picker = at.selectbox(key=f"{META_KEY}:version")
        self.assertTrue(all(option.startswith("v") for option in picker.options))
        self.run_app(picker.select(ada))
        self.run_app(at.button(key=f"{META_KEY}:restore").click())
        self.assertEqual(at.text_input(key="name").value, "Ada")
        newest = self.client.history(sid)["items"][0]
        self.assertEqual((newest["kind"], newest["restored_from"]), ("restore", ada))
        self.assertEqual(self.client.load(sid)["name"], "Ada")
        versions = self.versions(sid)
        self.run_app(at)  # the run after the restore has nothing new to save
        self.assertEqual(self.versions(sid), versions)

    def test_two_browser_sessions_never_see_each_others_state(self):
        first, second = self.open_tab(), self.open_tab()
        self.assertNotEqual(first.query_params["sid"], second.query_params["sid"])
        self.run_app(first.text_input(key="name").input("first tab"))
        self.run_app(second.text_input(key="name").input("second tab"))
        self.run_app(second.button(key="count_button").click())
        self.run_app(first)
        self.assertEqual((first.text_input(key="name").value, first.session_state["count"]), ("first tab", 0))
        self.assertEqual(self.client.load(first.query_params["sid"])["name"], "first tab")
        reloaded = self.open_tab(second.query_params["sid"])
        self.assertEqual((reloaded.text_input(key="name").value, reloaded.session_state["count"]), ("second tab", 1))

    def test_a_key_bound_to_a_widget_created_before_the_helper_runs_is_left_with_a_warning(self):
        # persist_session_state belongs on the first line; called after a widget, the widget's key
        # cannot be set any more in that run. The app goes on; the other keys are restored.
        sid = new_sid("st")
        self.client.save(sid, {"early": "saved", "other": 7})
        late = textwrap.dedent(
            """
            import streamlit as st
            from session_store import persist_session_state
            st.text_input("Early", key="early")
            persist_session_state()
            """
        )
        with self.assertLogs("session_store", "WARNING") as logs:
            at = self.open_tab(sid, script=late)
        self.assertEqual(at.session_state["other"], 7)
        self.assertEqual(at.text_input(key="early").value, "")
        self.assertTrue([line for line in logs.output if "could not restore key 'early'" in line], logs.output)

    def test_the_example_app_keeps_the_chat_and_the_table_and_restores(self):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        self.run_app(at)
        sid = at.query_params["sid"]
        self.run_app(at.chat_input[0].set_value("hello"))
        self.assertEqual([m["text"] for m in at.session_state["messages"]][0], "hello")
        self.run_app(at)  # a rerun with no input changes nothing
        self.assertEqual(len(self.versions(sid)), 2)  # the first run, the chat turn

        reloaded = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        reloaded.query_params["sid"] = sid
        self.run_app(reloaded)
        self.assertIsInstance(reloaded.session_state["messages"][0]["at"], dt.datetime)
        self.assertEqual([m.markdown[0].value for m in reloaded.chat_message][:1], ["hello"])
        self.assertTrue(reloaded.session_state["table"].equals(at.session_state["table"]))

        self.run_app(reloaded.selectbox(key=f"{META_KEY}:version").select(1))
        self.run_app(reloaded.button(key=f"{META_KEY}:restore").click())
        self.assertEqual(reloaded.session_state["messages"], [])
        self.assertEqual(self.client.history(sid)["items"][0]["kind"], "restore")


class SharedClientTest(unittest.TestCase):
    """Apps share one Client across browser sessions (st.cache_resource), each run on its own
    thread: what the helper does to save in one tab must not change what another tab gets.
    Hundreds of saves on threads at once: persist_session_state is driven here with a plain
    session_state and query_params (what it reads of Streamlit), not the real Streamlit."""

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
            st = types.SimpleNamespace(session_state={}, query_params={"sid": sid})
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


if __name__ == "__main__":
    unittest.main()
