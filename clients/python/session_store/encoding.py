"""Lossless JSON for the values Streamlit apps keep in st.session_state.

JSON holds dicts with string keys, lists, strings, finite numbers, booleans and null. Everything
else is written as a tagged object, ``{"$type": <name>, "$value": ...}``, and decoded back to an
equal value:

- ``datetime`` / ``date`` / ``time`` (time zones kept: the offset, and the zone name for zoneinfo),
  ``timedelta``, ``Decimal``, ``UUID``, ``bytes`` / ``bytearray``, ``tuple``, ``set`` /
  ``frozenset``, integers beyond 2**53 (JavaScript would round them), NaN and infinities,
  dicts whose keys are not all strings (or that have a ``"$type"`` key themselves);
- when installed: numpy arrays (and numpy scalars, as Python numbers), pandas ``DataFrame``,
  ``Series`` and ``Timestamp``.

A value of any other type (a widget's internal object, a file handle) raises ``Unencodable``,
which names where it is; it is never silently turned into null.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid
from typing import Any, Dict, List, Tuple

TAG = "$type"
VALUE = "$value"
_SAFE_INT = 2**53 - 1


class Unencodable(TypeError):
    """A value this encoding cannot represent; `path` says where it is."""

    def __init__(self, path: str, value: Any):
        self.path = path
        self.type_name = f"{type(value).__module__}.{type(value).__qualname__}"
        super().__init__(f"cannot store a {self.type_name} at {path or '(root)'}")


def _tagged(tag: str, value: Any, **extra: Any) -> Dict[str, Any]:
    return {TAG: tag, VALUE: value, **extra}


def _module_of(value: Any) -> str:
    return type(value).__module__.split(".")[0]


def encode(value: Any, path: str = "") -> Any:
    """The JSON-compatible form of `value` (raises Unencodable)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -_SAFE_INT <= value <= _SAFE_INT else _tagged("int", str(value))
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return _tagged("float", "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and TAG not in value:
            return {key: encode(item, f"{path}/{key}") for key, item in value.items()}
        return _tagged("dict", [[encode(key, f"{path}/<key>"), encode(item, f"{path}/{key!r}")] for key, item in value.items()])
    if isinstance(value, list):
        return [encode(item, f"{path}/{i}") for i, item in enumerate(value)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return _tagged("tuple", [encode(item, f"{path}/{i}") for i, item in enumerate(value)])
    if isinstance(value, (set, frozenset)):
        items = [encode(item, f"{path}/<item>") for item in value]
        items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return _tagged("frozenset" if isinstance(value, frozenset) else "set", items)
    if isinstance(value, (bytes, bytearray)):
        return _tagged("bytearray" if isinstance(value, bytearray) else "bytes", base64.b64encode(bytes(value)).decode("ascii"))
    if _module_of(value) == "pandas":
        return _encode_pandas(value, path)
    if _module_of(value) == "numpy":
        return _encode_numpy(value, path)
    if isinstance(value, dt.datetime):
        return _tagged("datetime", value.isoformat(), **_zone(value.tzinfo))
    if isinstance(value, dt.date):
        return _tagged("date", value.isoformat())
    if isinstance(value, dt.time):
        return _tagged("time", value.isoformat(), **_zone(value.tzinfo))
    if isinstance(value, dt.timedelta):
        return _tagged("timedelta", [value.days, value.seconds, value.microseconds])
    if isinstance(value, decimal.Decimal):
        return _tagged("Decimal", str(value))
    if isinstance(value, uuid.UUID):
        return _tagged("UUID", str(value))
    raise Unencodable(path, value)


def _zone(tzinfo: Any) -> Dict[str, str]:
    key = getattr(tzinfo, "key", None)  # zoneinfo.ZoneInfo: keep the zone, not just the offset
    return {"zone": key} if isinstance(key, str) else {}


def _encode_numpy(value: Any, path: str) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufcUSM?":
            raise Unencodable(path, value)
        return _tagged("ndarray", encode(value.tolist(), path), dtype=str(value.dtype), shape=list(value.shape))
    if isinstance(value, np.generic):
        return encode(value.item(), path)
    raise Unencodable(path, value)


def _encode_pandas(value: Any, path: str) -> Any:
    import pandas as pd

    if value is pd.NaT:
        return _tagged("Timestamp", None)
    if isinstance(value, pd.Timestamp):
        return _tagged("Timestamp", value.isoformat())
    if isinstance(value, pd.Timedelta):
        return _tagged("Timedelta", value.value)
    if isinstance(value, pd.DataFrame):
        return _tagged(
            "DataFrame",
            [encode(value.iloc[:, i].tolist(), f"{path}/{i}") for i in range(value.shape[1])],
            columns=encode(list(value.columns), path),
            dtypes=[str(t) for t in value.dtypes],
            index=_encode_index(value.index, path),
        )
    if isinstance(value, pd.Series):
        return _tagged("Series", encode(value.tolist(), path), name=encode(value.name, path), dtype=str(value.dtype), index=_encode_index(value.index, path))
    raise Unencodable(path, value)


def _encode_index(index: Any, path: str) -> Dict[str, Any]:
    import pandas as pd

    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": encode(index.name, path)}
    return {"values": encode(index.tolist(), path), "dtype": str(index.dtype), "name": encode(index.name, path)}


def decode(value: Any) -> Any:
    """The Python value of an encoded one (JSON values come back as they are)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if not isinstance(tag, str) or VALUE not in value:
        return {key: decode(item) for key, item in value.items()}
    decoder = _DECODERS.get(tag)
    return decoder(value) if decoder else {key: decode(item) for key, item in value.items()}


def _decode_datetime(value: Dict[str, Any]) -> Any:
    parsed = (dt.datetime if value[TAG] == "datetime" else dt.time).fromisoformat(value[VALUE])
    zone = value.get("zone")
    if zone:
        from zoneinfo import ZoneInfo

        if isinstance(parsed, dt.datetime):
            parsed = parsed.astimezone(ZoneInfo(zone))
        else:
            parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed


def _decode_float(value: Dict[str, Any]) -> float:
    return float(value[VALUE])


def _decode_index(spec: Dict[str, Any]) -> Any:
    import pandas as pd

    name = decode(spec.get("name"))
    if "range" in spec:
        start, stop, step = spec["range"]
        return pd.RangeIndex(start, stop, step, name=name)
    values = decode(spec["values"])
    dtype = spec.get("dtype")
    try:
        return pd.Index(values, dtype=dtype, name=name)
    except (TypeError, ValueError):
        return pd.Index(values, name=name)


def _astype(series: Any, dtype: str) -> Any:
    import pandas as pd

    if str(series.dtype) == dtype:
        return series
    if dtype.startswith("datetime64"):
        if ", " in dtype:  # time-zone aware: 'datetime64[ns, Europe/Lisbon]'
            zone = dtype.split(", ", 1)[1].rstrip("]")
            return pd.to_datetime(series, utc=True).dt.tz_convert(zone)
        converted = pd.to_datetime(series)
        return converted.astype(dtype) if str(converted.dtype) != dtype else converted
    return series.astype(dtype)


def _decode_dataframe(value: Dict[str, Any]) -> Any:
    import pandas as pd

    columns = decode(value["columns"])
    # Plain lists (not Series, which pandas would align to the index by label), as objects,
    # then each column cast back to its dtype.
    data = {i: decode(column) for i, column in enumerate(value[VALUE])}
    frame = pd.DataFrame(data, index=_decode_index(value["index"]), dtype="object")
    for i, dtype in enumerate(value["dtypes"]):
        frame[i] = _astype(frame[i], dtype)
    if columns:
        frame.columns = pd.Index(columns)
    return frame


def _decode_series(value: Dict[str, Any]) -> Any:
    import pandas as pd

    series = pd.Series(decode(value[VALUE]), index=_decode_index(value["index"]), dtype="object", name=decode(value.get("name")))
    return _astype(series, value["dtype"])


def _decode_ndarray(value: Dict[str, Any]) -> Any:
    import numpy as np

    return np.array(decode(value[VALUE]), dtype=value["dtype"]).reshape(value["shape"])


def _decode_timestamp(value: Dict[str, Any]) -> Any:
    import pandas as pd

    return pd.NaT if value[VALUE] is None else pd.Timestamp(value[VALUE])


_DECODERS = {
    "int": lambda v: int(v[VALUE]),
    "float": _decode_float,
    "dict": lambda v: {_hashable(decode(key)): decode(item) for key, item in v[VALUE]},
    "tuple": lambda v: tuple(decode(item) for item in v[VALUE]),
    "set": lambda v: {_hashable(decode(item)) for item in v[VALUE]},
    "frozenset": lambda v: frozenset(_hashable(decode(item)) for item in v[VALUE]),
    "bytes": lambda v: base64.b64decode(v[VALUE]),
    "bytearray": lambda v: bytearray(base64.b64decode(v[VALUE])),
    "datetime": _decode_datetime,
    "time": _decode_datetime,
    "date": lambda v: dt.date.fromisoformat(v[VALUE]),
    "timedelta": lambda v: dt.timedelta(days=v[VALUE][0], seconds=v[VALUE][1], microseconds=v[VALUE][2]),
    "Decimal": lambda v: decimal.Decimal(v[VALUE]),
    "UUID": lambda v: uuid.UUID(v[VALUE]),
    "ndarray": _decode_ndarray,
    "DataFrame": _decode_dataframe,
    "Series": _decode_series,
    "Timestamp": _decode_timestamp,
    "Timedelta": lambda v: __import__("pandas").Timedelta(v[VALUE]),
}


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value


def encode_items(mapping: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Unencodable]]:
    """Encodes each item of a mapping on its own: items that cannot be encoded are left out and
    returned as errors (naming their key), instead of failing the whole mapping."""
    encoded: Dict[str, Any] = {}
    skipped: List[Unencodable] = []
    for key, item in mapping.items():
        try:
            encoded[key] = encode(item, f"/{key}")
        except Unencodable as error:
            skipped.append(error)
    return encoded, skipped


def canonical(value: Any) -> str:
    """A stable text of an encoded value, for change detection."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
