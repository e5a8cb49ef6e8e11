import datetime as dt
import decimal
import json
import math
import unittest
import uuid
from zoneinfo import ZoneInfo

from session_store import Unencodable, decode, encode
from session_store.encoding import encode_items

from .support import HAVE_PANDAS


def round_trip(value):
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


class EncodingTest(unittest.TestCase):
    def test_plain_json_is_stored_as_it_is(self):
        value = {"a": [1, 2.5, "x", None, True], "nested": {"k": {}}, "": "empty key", "$other": 1}
        self.assertEqual(encode(value), value)
        self.assertEqual(round_trip(value), value)

    def test_every_tagged_type_comes_back_equal_and_of_its_type(self):
        values = {
            "aware datetime": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
            "zoneinfo datetime": dt.datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Lisbon")),
            "naive datetime": dt.datetime(2026, 1, 2, 3, 4, 5),
            "date": dt.date(2026, 2, 28),
            "time with zone": dt.time(23, 59, 59, 999999, tzinfo=dt.timezone.utc),
            "timedelta": dt.timedelta(days=-1, seconds=5, microseconds=7),
            "decimal": decimal.Decimal("0.10"),
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "set": {3, 1, "two"},
            "frozenset": frozenset({(1, 2), "x"}),
            "tuple": (1, "a", (2, 3)),
            "bytes": b"\x00\xffbinary",
            "bytearray": bytearray(b"\x01\x02"),
            "big int": 2**64 + 1,
            "negative big int": -(2**60),
            "infinity": float("inf"),
            "int keys": {1: "one", 2: "two"},
            "tuple keys": {(1, 2): "pair"},
            "dict with a $type key": {"$type": "not a tag", "$value": 1},
        }
        for name, value in values.items():
            with self.subTest(name):
                back = round_trip(value)
                self.assertEqual(back, value)
                self.assertIs(type(back), type(value))
        zone = round_trip(values["zoneinfo datetime"]).tzinfo
        self.assertEqual(getattr(zone, "key", None), "Europe/Lisbon")
        self.assertTrue(math.isnan(round_trip(float("nan"))))

    def test_a_value_it_cannot_hold_raises_naming_where_it_is(self):
        with self.assertRaises(Unencodable) as caught:
            encode({"ok": 1, "widget": {"inner": object()}})
        self.assertEqual(caught.exception.path, "/widget/inner")

    def test_encode_items_leaves_out_only_what_it_cannot_hold(self):
        with open(__file__) as handle:
            encoded, skipped = encode_items({"ok": [1], "handle": handle, "when": dt.date(2026, 1, 1)})
        self.assertEqual(set(encoded), {"ok", "when"})
        self.assertEqual([error.path for error in skipped], ["/handle"])


@unittest.skipUnless(HAVE_PANDAS, "pandas is not installed")
class PandasEncodingTest(unittest.TestCase):
    def test_dataframes_series_and_arrays_come_back_equal(self):
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame(
            {
                "int": [1, 2, 3],
                "float": [1.5, float("nan"), -2.0],
                "text": ["a", None, "ünï"],
                "flag": [True, False, True],
                "when": pd.to_datetime(["2026-01-01", None, "2026-01-03"]),
                "aware": pd.to_datetime(["2026-01-01T10:00:00Z"] * 3).tz_convert("America/Sao_Paulo"),
                "category": pd.Categorical(["x", "y", "x"]),
            },
            index=pd.Index(["r1", "r2", "r3"], name="row"),
        )
        back = round_trip(frame)
        self.assertTrue(back.equals(frame))
        self.assertEqual(list(back.dtypes), list(frame.dtypes))
        self.assertEqual(back.index.name, "row")

        series = pd.Series([1.0, 2.0], index=[10, 20], name="n")
        self.assertTrue(round_trip(series).equals(series))
        self.assertTrue(round_trip(pd.DataFrame()).equals(pd.DataFrame()))
        array = np.arange(6, dtype="int32").reshape(2, 3)
        back_array = round_trip(array)
        self.assertEqual(back_array.dtype, array.dtype)
        self.assertTrue((back_array == array).all())
        self.assertEqual(round_trip(np.float64(1.5)), 1.5)
        self.assertEqual(round_trip(pd.Timestamp("2026-01-01T00:00:00.000000001")), pd.Timestamp("2026-01-01T00:00:00.000000001"))


if __name__ == "__main__":
    unittest.main()
