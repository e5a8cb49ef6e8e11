"""The time-travel example (examples/langgraph_time_travel.py) against the real store."""
import importlib.util
import pathlib
import unittest
import uuid

from .support import client, needs_store

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "langgraph_time_travel.py"


def load_example():
    spec = importlib.util.spec_from_file_location("langgraph_time_travel", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_store
class ExampleTest(unittest.TestCase):
    def test_history_branch_from_an_earlier_checkpoint_and_update_state(self):
        example = load_example()
        thread = "example-" + uuid.uuid4().hex[:8]
        result = example.main(client(), thread)
        # Per turn: the input, the step that starts the graph, reply, tally.
        self.assertEqual(result["checkpoints"], 12)
        self.assertEqual(result["first_turn"], ["hello", "You said: hello"])
        self.assertEqual(result["branch"], ["hello", "You said: hello", "tell me a joke", "You said: tell me a joke"])
        self.assertEqual(result["branch_turns"], 2)
        # update_state on the thread edits its latest checkpoint: the branch's head.
        self.assertEqual(result["latest"], result["branch"] + ["(a reviewer's note)", "and now?", "You said: and now?"])
        self.assertEqual(result["latest_turns"], 3)
        self.assertEqual(result["history_now"], 12 + 4 + 1 + 4)
        self.assertEqual(result["first_timeline_kept"], ["hello", "You said: hello", "how are you?", "You said: how are you?", "bye", "You said: bye"])

        # Each checkpoint is a version of the thread's store session, with its id as a label.
        sid = "lg." + thread + "."
        versions = list(client().iter_history(sid))
        ids = {item["labels"]["checkpoint_id"] for item in versions}
        self.assertEqual(len(ids), result["history_now"])
        self.assertIn(result["edited_checkpoint"], ids)


if __name__ == "__main__":
    unittest.main()
