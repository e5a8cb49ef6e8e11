import io
import tempfile
import unittest

from session_store import Conflict, Unprocessable

from .support import new_sid, require_server


class ExchangeTest(unittest.TestCase):
    def setUp(self):
        self.client = require_server(self)

    def test_export_to_a_file_and_import_it_back_under_another_id(self):
        sid = new_sid("export")
        for step in range(1, 13):
            self.client.save(sid, {"step": step, "log": ["entry %d" % k for k in range(step)]}, message="step %d" % step)
        with tempfile.TemporaryFile() as file:
            written = self.client.export_session(sid, file)
            self.assertGreater(written, 0)
            file.seek(0)
            lines = file.read().decode("utf-8").splitlines()
            self.assertEqual(len(lines), 13)
            self.assertIn('"format":"session-state-store/export"', lines[0])
            file.seek(0)
            copy = new_sid("import")
            answer = self.client.import_session(copy, file)
        self.assertEqual((answer["session_id"], answer["first_version"], answer["head_version"]), (copy, 1, 12))
        for version in (1, 6, 12):
            self.assertEqual(self.client.load(copy, version=version), self.client.load(sid, version=version))
        self.assertEqual(
            [(item["version"], item.get("message")) for item in self.client.iter_history(copy)],
            [(item["version"], item.get("message")) for item in self.client.iter_history(sid)],
        )

        buffer = io.BytesIO()
        self.client.export_session(sid, buffer)
        with self.assertRaises(Conflict):
            self.client.import_session(copy, buffer.getvalue())
        # One byte changed in a state hash: refused at that line, nothing written.
        lines = buffer.getvalue().split(b"\n")
        target = lines[3]
        at = target.index(b'"state_hash":"') + len(b'"state_hash":"')
        lines[3] = target[:at] + (b"a" if target[at:at + 1] != b"a" else b"b") + target[at + 1:]
        changed = b"\n".join(lines)
        refused_sid = new_sid("refused")
        with self.assertRaises(Unprocessable) as refused:
            self.client.import_session(refused_sid, io.BytesIO(changed))
        self.assertEqual(refused.exception.problem["line"], 4)
        self.assertFalse(self.client.exists(refused_sid))


if __name__ == "__main__":
    unittest.main()
