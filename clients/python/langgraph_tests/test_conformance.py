"""LangGraph's conformance suite (langgraph-checkpoint-conformance) against SessionStoreSaver on a real store.

Needs SST_BASE_URL and SST_TOKEN (the mocha test test/integration/langgraphSaver.test.ts starts a
server and runs this in the `langgraph` environment). Every base capability must pass, and so
must every optional one the saver implements (copy_thread, prune); delete_for_runs is not
provided (the store removes history only from a session's start, never a run's versions from
its middle), and the suite must see it as absent.
"""
import asyncio
import os
import unittest
import uuid

from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.report import ProgressCallbacks

from session_store import Client
from session_store.langgraph_saver import SessionStoreSaver

IMPLEMENTED = {"put", "put_writes", "get_tuple", "list", "delete_thread", "copy_thread", "prune"}
NOT_PROVIDED = {"delete_for_runs"}


@unittest.skipUnless(os.environ.get("SST_BASE_URL") and os.environ.get("SST_TOKEN"), "SST_BASE_URL and SST_TOKEN name a running store")
class ConformanceTest(unittest.TestCase):
    def test_every_implemented_capability_passes(self):
        client = Client(os.environ["SST_BASE_URL"], os.environ["SST_TOKEN"])
        # A prefix of its own per run: the suite reuses thread ids such as "thread-0".
        prefix = "cf" + uuid.uuid4().hex[:8] + "."

        @checkpointer_test(name="SessionStoreSaver")
        async def store_saver():
            yield SessionStoreSaver(client, prefix=prefix)

        failures = []

        def on_result(capability, test, passed, error):
            print(f"  {'PASS' if passed else 'FAIL'} {capability}.{test}", flush=True)
            if not passed:
                failures.append(f"{capability}.{test}\n{error}")

        report = asyncio.run(validate(store_saver, progress=ProgressCallbacks(on_test_result=on_result)))
        report.print_report()
        self.assertEqual(failures, [], "\n\n".join(failures))
        results = report.to_dict()
        detected = {name for name, result in report.results.items() if result.detected}
        self.assertEqual(detected, IMPLEMENTED, results)
        for name in IMPLEMENTED:
            result = report.results[name]
            self.assertTrue(result.passed, f"{name}: {results}")
            self.assertGreater(result.tests_passed, 0, name)
        for name in NOT_PROVIDED:
            self.assertIsNone(report.results[name].passed, name)
        self.assertTrue(report.passed_all_base())


if __name__ == "__main__":
    unittest.main()
