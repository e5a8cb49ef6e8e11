"""SessionStoreSaver's own promises, beyond the conformance suite: lossless values, JSON where JSON
holds them (so a growing list is a small patch), labels, odd ids, late and early writes."""
import datetime as dt
import decimal
import json
import threading
import time
import unittest
import uuid

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import empty_checkpoint

from session_store.langgraph_saver import SessionStoreSaver

from .support import client, needs_store


def checkpoint(values, versions, step=0):
    cp = empty_checkpoint()
    cp["channel_values"] = values
    cp["channel_versions"] = versions
    return cp


@needs_store
class SaverTest(unittest.TestCase):
    def setUp(self):
        self.client = client()
        self.prefix = "t" + uuid.uuid4().hex[:8] + "."
        self.saver = SessionStoreSaver(self.client, prefix=self.prefix)
        self.thread = str(uuid.uuid4())
        self.config = {"configurable": {"thread_id": self.thread, "checkpoint_ns": ""}}

    def put(self, values, versions, new_versions=None, parent=None, metadata=None):
        config = {"configurable": {**self.config["configurable"], **({"checkpoint_id": parent} if parent else {})}}
        cp = checkpoint(values, versions)
        time.sleep(0.002)  # distinct, increasing uuid6 ids
        return self.saver.put(config, cp, metadata or {"source": "loop", "step": 0, "parents": {}}, versions if new_versions is None else new_versions)

    def sid(self):
        return self.saver._sid(self.thread, "")

    def test_values_come_back_as_they_were_put_json_or_not(self):
        values = {
            "tuple": (1, "a"),
            "bytes": b"\x00\xff",
            "when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            "money": decimal.Decimal("1.10"),
            "integral_float": 1.0,
            "negative_zero": -0.0,
            "big": 2 ** 60,
            "tagged_lookalike": {"$lg": "msgpack", "b": "not base64"},
            "int_keys": {1: "one"},
            "set": {1, 2},
            "nested": {"list": [1, 2.5, None, True, "x", (2, 3), [b"y"]]},
            "messages": [
                HumanMessage(content="hi", id="1"),
                AIMessage(content="hello", id="2", tool_calls=[{"name": "f", "args": {"x": 1.5}, "id": "c1"}], usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}),
                AIMessage(content=[{"type": "text", "text": "parts"}], id="3", additional_kwargs={"raw": b"\x00"}),
            ],
        }
        stored = self.put(values, {key: 1 for key in values})
        got = self.saver.get_tuple(stored).checkpoint["channel_values"]
        # Exactly what LangGraph's serializer gives back (it reads a tuple back as a list).
        expected = {key: self.saver.serde.loads_typed(self.saver.serde.dumps_typed(value)) for key, value in values.items()}
        self.assertEqual(got, expected)
        for key, value in expected.items():
            self.assertIs(type(got[key]), type(value), key)
        self.assertEqual(got["tuple"], [1, "a"])
        self.assertEqual(str(got["negative_zero"]), "-0.0")

        state = self.client.load(self.sid())
        plain = state["values"]
        # JSON-representable values are stored as JSON, the rest as typed values, element by element.
        self.assertEqual(plain["nested"]["list"][:5], [1, 2.5, None, True, "x"])
        self.assertEqual(set(plain["nested"]["list"][5]), {"$lg", "b"})
        self.assertEqual(set(plain["integral_float"]), {"$lg", "b"})
        self.assertEqual(len(plain["messages"]), 3)
        # A message is the serializer's JSON form (its class and fields), unless a field is not JSON.
        self.assertEqual(plain["messages"][1]["$lg"], "json")
        self.assertEqual(plain["messages"][1]["v"]["kwargs"]["content"], "hello")
        self.assertEqual(set(plain["messages"][2]), {"$lg", "b"})

    def test_a_growing_messages_list_is_stored_as_a_patch_of_the_new_messages(self):
        messages = [HumanMessage(content="m0", id="0")]
        stored = self.put({"messages": list(messages), "plain": [{"role": "user", "text": "t0"}]}, {"messages": 1, "plain": 1})
        # Enough turns for the state to outweigh a turn's change (a change that is most of a small
        # state is stored whole: FULL_STATE_RATIO).
        for turn in range(1, 10):
            messages.append(AIMessage(content="x" * 200, id=str(turn)))
            plain = [{"role": "user", "text": f"t{i}"} for i in range(turn + 1)]
            stored = self.put({"messages": list(messages), "plain": plain}, {"messages": turn + 1, "plain": turn + 1}, parent=stored["configurable"]["checkpoint_id"])
        head = self.client.history(self.sid(), limit=1)["items"][0]
        patch = self.client.version(self.sid(), head["version"])["patch"]
        adds = {op["path"] for op in patch if op["op"] == "add"}
        self.assertIn("/values/messages/9", adds)
        self.assertIn("/values/plain/9", adds)
        self.assertEqual(next(op for op in patch if op["path"] == "/values/plain/9")["value"], {"role": "user", "text": "t9"})
        self.assertEqual({op["path"] for op in patch if op["path"].startswith("/values")}, {"/values/messages/9", "/values/plain/9"})
        self.assertLess(head["patch_bytes"], 2000)
        self.assertEqual(head["labels"]["checkpoint_id"], stored["configurable"]["checkpoint_id"])
        self.assertEqual(self.saver.get_tuple(self.config).checkpoint["channel_values"]["messages"], messages)

    def test_a_message_changed_in_place_between_puts_is_stored_changed(self):
        messages = [HumanMessage(content="first", id="1"), AIMessage(content="answer", id="2")]
        stored = self.put({"messages": messages}, {"messages": 1})
        messages[1].content = "answer, edited in place"
        messages[1].additional_kwargs["note"] = "added"
        self.put({"messages": messages}, {"messages": 2}, parent=stored["configurable"]["checkpoint_id"])
        fresh = SessionStoreSaver(self.client, prefix=self.prefix)
        got = fresh.get_tuple(self.config).checkpoint["channel_values"]["messages"]
        self.assertEqual(got, [HumanMessage(content="first", id="1"), AIMessage(content="answer, edited in place", id="2", additional_kwargs={"note": "added"})])

    def test_metadata_filters_on_odd_keys_long_values_and_non_json_values(self):
        long_text = "é" * 1500
        first = self.put({}, {}, metadata={"source": "input", "step": 0, "a b/ü": "odd", "long": long_text, "when": dt.date(2026, 1, 1)})
        self.put({}, {}, parent=first["configurable"]["checkpoint_id"], metadata={"source": "loop", "step": 1, "a b/ü": "other", "long": long_text + "!", "when": dt.date(2026, 1, 2)})
        ids = lambda f: [t.metadata["step"] for t in self.saver.list(self.config, filter=f)]
        self.assertEqual(ids({"a b/ü": "odd"}), [0])
        self.assertEqual(ids({"long": long_text}), [0])
        self.assertEqual(ids({"long": long_text + "!", "source": "loop"}), [1])
        self.assertEqual(ids({"when": dt.date(2026, 1, 2)}), [1])
        self.assertEqual(ids({"step": True}), [], "True is not 1 here: values compare as stored")
        self.assertEqual(ids({}), [1, 0])

    def test_metadata_too_large_for_the_labels_is_still_filtered_exactly(self):
        many = {f"a_rather_long_metadata_key_number_{i:02}": i for i in range(40)}
        first = self.put({}, {}, metadata={"step": 0, **many})
        self.put({}, {}, parent=first["configurable"]["checkpoint_id"], metadata={"step": 1, "source": "loop"})
        labels = self.client.history(self.sid(), limit=2)["items"][1]["labels"]
        self.assertEqual(labels.get("m:partial"), "1")
        self.assertLessEqual(len(json.dumps(labels, ensure_ascii=False, separators=(",", ":"))), 1000)
        steps = lambda f: [t.metadata["step"] for t in self.saver.list(self.config, filter=f)]
        self.assertEqual(steps({"a_rather_long_metadata_key_number_39": 39}), [0])
        self.assertEqual(steps({"a_rather_long_metadata_key_number_39": 38}), [])
        self.assertEqual(steps({"a_rather_long_metadata_key_number_00": 0, "step": 0}), [0])
        self.assertEqual(steps({"source": "loop"}), [1])

    def test_thread_ids_and_namespaces_of_any_characters_and_length(self):
        for thread in ("a.b/c d", "ü" * 50, "x" * 300, "lg.", ""):
            for ns in ("", "child:1|grand:2", "n" * 200):
                config = {"configurable": {"thread_id": thread, "checkpoint_ns": ns}}
                cp = checkpoint({"k": [thread, ns]}, {"k": 1})
                stored = self.saver.put(config, cp, {"step": 0}, {"k": 1})
                got = self.saver.get_tuple(stored)
                self.assertEqual(got.checkpoint["channel_values"]["k"], [thread, ns])
                self.assertEqual(got.config["configurable"], {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": cp["id"]})
        self.assertEqual(len(list(self.saver.list({"configurable": {"thread_id": "x" * 300}}))), 3)
        self.saver.delete_thread("x" * 300)
        self.assertEqual(list(self.saver.list({"configurable": {"thread_id": "x" * 300}})), [])
        self.assertEqual(len(list(self.saver.list({"configurable": {"thread_id": "ü" * 50}}))), 3)

    def test_writes_to_an_older_checkpoint_stay_with_it_and_leave_the_latest_alone(self):
        first = self.put({"k": 1}, {"k": 1})
        second = self.put({"k": 2}, {"k": 2}, parent=first["configurable"]["checkpoint_id"])
        self.saver.put_writes(first, [("ch", "late"), ("other", {"x": 1})], "task-1")
        self.saver.put_writes(first, [("ch", "late again")], "task-1")  # same (task, idx): kept first
        latest = self.saver.get_tuple(self.config)
        self.assertEqual(latest.config["configurable"]["checkpoint_id"], second["configurable"]["checkpoint_id"])
        self.assertEqual(latest.pending_writes, [])
        older = self.saver.get_tuple(first)
        self.assertEqual(older.pending_writes, [("task-1", "ch", "late"), ("task-1", "other", {"x": 1})])
        listed = {t.config["configurable"]["checkpoint_id"]: t.pending_writes for t in self.saver.list(self.config)}
        self.assertEqual(listed[first["configurable"]["checkpoint_id"]], older.pending_writes)
        self.saver.delete_thread(self.thread)
        self.assertEqual(self.client.list_sessions(prefix=self.saver._thread_prefix(self.thread))["items"], [])

    def test_two_savers_on_one_thread_never_write_on_a_head_they_do_not_know(self):
        other = SessionStoreSaver(self.client, prefix=self.prefix)
        first = self.put({"k": [1]}, {"k": 1})
        config = lambda parent: {"configurable": {**self.config["configurable"], "checkpoint_id": parent["configurable"]["checkpoint_id"]}}
        cp2 = checkpoint({"k": [1, 2]}, {"k": 2})
        second = other.put(config(first), cp2, {"step": 1}, {"k": 2})
        other.put_writes(second, [("ch", "from other")], "task-o")
        # This saver still takes `first` for the head: its patch is refused, and the whole state goes.
        cp3 = checkpoint({"k": [1, 3]}, {"k": 2})
        third = self.saver.put(config(first), cp3, {"step": 1}, {"k": 2})
        self.saver.put_writes(second, [("ch", "late, from this one")], "task-t")
        self.assertEqual(self.saver.get_tuple(third).checkpoint["channel_values"], {"k": [1, 3]})
        self.assertEqual(self.saver.get_tuple(third).parent_config["configurable"]["checkpoint_id"], first["configurable"]["checkpoint_id"])
        got = other.get_tuple(second)
        self.assertEqual(got.checkpoint["channel_values"], {"k": [1, 2]})
        self.assertEqual(sorted(w[2] for w in got.pending_writes), ["from other", "late, from this one"])
        self.assertEqual(other.get_tuple(self.config).config["configurable"]["checkpoint_id"], cp3["id"])

    def test_a_thread_deleted_elsewhere_starts_again_when_this_saver_writes_to_it(self):
        first = self.put({"k": [1]}, {"k": 1})
        SessionStoreSaver(self.client, prefix=self.prefix).delete_thread(self.thread)
        # This saver still knows the purged head: its patch finds no session, and the whole state goes.
        second = self.put({"k": [1, 2]}, {"k": 2}, parent=first["configurable"]["checkpoint_id"])
        self.saver.put_writes(second, [("ch", "w")], "task-d")
        got = self.saver.get_tuple(self.config)
        self.assertEqual(got.checkpoint["channel_values"], {"k": [1, 2]})
        self.assertEqual(got.pending_writes, [("task-d", "ch", "w")])
        self.assertIsNone(self.saver.get_tuple(first))

    def test_writes_that_arrive_before_their_checkpoint_wait_for_it(self):
        first = self.put({"k": 1}, {"k": 1})
        cp = checkpoint({"k": 2}, {"k": 2})
        config = {"configurable": {**self.config["configurable"], "checkpoint_id": first["configurable"]["checkpoint_id"]}}
        target = {"configurable": {**self.config["configurable"], "checkpoint_id": cp["id"]}}
        writer = threading.Thread(target=self.saver.put_writes, args=(target, [("ch", "early")], "task-2"))
        writer.start()
        time.sleep(0.3)
        self.saver.put(config, cp, {"step": 1}, {"k": 2})
        writer.join(10)
        self.assertFalse(writer.is_alive())
        self.assertEqual(self.saver.get_tuple(self.config).pending_writes, [("task-2", "ch", "early")])

    def test_prune_keeps_the_latest_checkpoint_in_the_store_and_the_thread_goes_on(self):
        first = self.put({"k": 1}, {"k": 1})
        parent = first["configurable"]["checkpoint_id"]
        for n in range(2, 6):
            parent = self.put({"k": n}, {"k": n}, parent=parent)["configurable"]["checkpoint_id"]
        # A late write to an older checkpoint: kept in the thread's side session until the prune.
        self.saver.put_writes(first, [("ch", "late")], "task-late")
        self.assertEqual(len(self.client.list_sessions(prefix=self.sid() + "@")["items"]), 1)
        self.saver.prune([self.thread])
        history = self.client.history(self.sid())
        self.assertEqual(history["first_version"], history["items"][0]["version"])
        self.assertEqual([t.checkpoint["channel_values"] for t in self.saver.list(self.config)], [{"k": 5}])
        self.assertEqual(self.client.list_sessions(prefix=self.sid() + "@")["items"], [])
        # The next step builds on the kept checkpoint as on any head.
        self.put({"k": 6}, {"k": 6}, parent=parent)
        self.assertEqual(self.saver.get_tuple(self.config).checkpoint["channel_values"], {"k": 6})
        with self.assertRaises(ValueError):
            self.saver.prune([self.thread], strategy="keep_some")

    def test_writes_to_a_checkpoint_that_never_comes_fail_after_the_wait(self):
        self.put({"k": 1}, {"k": 1})
        self.saver.writes_wait_seconds = 0.2
        with self.assertRaises(ValueError):
            self.saver.put_writes({"configurable": {**self.config["configurable"], "checkpoint_id": "nope"}}, [("ch", 1)], "t")


    def test_a_steps_writes_land_with_the_next_checkpoint_in_one_version_and_stay_with_their_own(self):
        first = self.put({"k": 1}, {"k": 1})
        cp = checkpoint({"k": 2}, {"k": 2})
        parent = {"configurable": {**self.config["configurable"], "checkpoint_id": first["configurable"]["checkpoint_id"]}}
        # As LangGraph does: the step's writes, and the next checkpoint's put right after, in parallel.
        # A long coalescing window, and the put sent once the writes wait for it: a busy machine
        # scheduling either thread late cannot split them into a version of their own.
        self.saver.writes_coalesce_seconds = 5
        writer = threading.Thread(target=self.saver.put_writes, args=(first, [("ch", "w1"), ("other", {"x": 1})], "task-1"))
        writer.start()
        deadline = time.monotonic() + 10
        while not self.saver._pending and time.monotonic() < deadline:
            time.sleep(0.001)
        self.assertTrue(self.saver._pending, "the writes never waited for the next checkpoint")
        second = self.saver.put(parent, cp, {"step": 1}, {"k": 2})
        writer.join(10)
        self.assertFalse(writer.is_alive())
        self.saver.writes_coalesce_seconds = 0.05
        # One version per checkpoint: the writes came with the second.
        items = self.client.history(self.sid())["items"]
        self.assertEqual([item["labels"]["checkpoint_id"] for item in items], [cp["id"], first["configurable"]["checkpoint_id"]])
        expected = [("task-1", "ch", "w1"), ("task-1", "other", {"x": 1})]
        self.assertEqual(self.saver.get_tuple(first).pending_writes, expected)
        self.assertEqual(self.saver.get_tuple(second).pending_writes, [])
        self.assertEqual(self.saver.get_tuple(self.config).pending_writes, [])
        # Another saver (nothing in memory) reads the same, by id and in a list.
        fresh = SessionStoreSaver(self.client, prefix=self.prefix)
        self.assertEqual(fresh.get_tuple(first).pending_writes, expected)
        listed = {t.config["configurable"]["checkpoint_id"]: t.pending_writes for t in fresh.list(self.config)}
        self.assertEqual(listed, {first["configurable"]["checkpoint_id"]: expected, cp["id"]: []})
        filtered = list(fresh.list(self.config, filter={"step": 0}))
        self.assertEqual([t.pending_writes for t in filtered], [expected])
        # Repeating a write (same task and index) keeps the first; the copy keeps them too.
        self.saver.put_writes(first, [("ch", "again")], "task-1")
        self.assertEqual(self.saver.get_tuple(first).pending_writes, expected)
        other_thread = str(uuid.uuid4())
        fresh.copy_thread(self.thread, other_thread)
        copied = {"configurable": {"thread_id": other_thread, "checkpoint_ns": "", "checkpoint_id": first["configurable"]["checkpoint_id"]}}
        self.assertEqual(fresh.get_tuple(copied).pending_writes, expected)

    def test_writes_with_no_checkpoint_after_them_are_stored_by_put_writes_itself(self):
        first = self.put({"k": 1}, {"k": 1})
        started = time.monotonic()
        self.saver.put_writes(first, [("ch", "alone")], "task-1")
        self.assertGreaterEqual(time.monotonic() - started, self.saver.writes_coalesce_seconds)
        self.assertEqual(SessionStoreSaver(self.client, prefix=self.prefix).get_tuple(self.config).pending_writes, [("task-1", "ch", "alone")])
        # Without the wait, at once.
        self.saver.writes_coalesce_seconds = 0
        second = self.put({"k": 2}, {"k": 2}, parent=first["configurable"]["checkpoint_id"])
        self.saver.put_writes(second, [("ch", "at once")], "task-2")
        self.assertEqual(len(self.client.history(self.sid())["items"]), 4)
        self.assertEqual(self.saver.get_tuple(self.config).pending_writes, [("task-2", "ch", "at once")])

    def test_a_graph_run_stores_what_langgraphs_own_in_memory_saver_stores(self):
        from typing import Annotated, List, TypedDict

        from langchain_core.messages import AnyMessage
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, StateGraph
        from langgraph.graph.message import add_messages

        class Chat(TypedDict):
            messages: Annotated[List[AnyMessage], add_messages]

        def runs(saver):
            graph = StateGraph(Chat)
            graph.add_node("a", lambda state: {"messages": [AIMessage(content="a", id="a%d" % len(state["messages"]))]})
            graph.add_node("b", lambda state: {"messages": [AIMessage(content="b", id="b%d" % len(state["messages"]))]})
            graph.add_edge(START, "a")
            graph.add_edge("a", "b")
            app = graph.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": self.thread}}
            for turn in range(3):
                app.invoke({"messages": [HumanMessage(content=f"u{turn}", id=f"u{turn}")]}, config)
            return [(t.checkpoint["channel_values"], t.metadata["step"], [(w[1], w[2]) for w in t.pending_writes]) for t in saver.list(config)]

        stored = runs(self.saver)
        self.assertEqual(stored, runs(InMemorySaver()))
        # One version per checkpoint: every step's writes came with the checkpoint after it.
        self.assertEqual(len(self.client.history(self.sid(), limit=100)["items"]), len(stored))

if __name__ == "__main__":
    unittest.main()
