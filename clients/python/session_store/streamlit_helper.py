"""Streamlit helpers: keep st.session_state across reloads, idle timeouts and redeploys.

    from session_store import Client, persist_session_state, restore_widget

    persist_session_state()                # first line of the app (SESSION_STORE_URL, SESSION_STORE_KEY)
    ...                                    # the app
    with st.sidebar:
        restore_widget()                   # pick a version, restore it
    persist_session_state()                # optional last line: saves this run's changes at once

Streamlit is imported lazily (only when the helpers run), so the package works without it.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import uuid
import warnings
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from .client import Client
from .encoding import canonical, encode_items
from .errors import NotFound

logger = logging.getLogger("session_store")

#: Where the helper keeps its own bookkeeping in st.session_state (never saved).
META_KEY = "_session_store"


def _streamlit(st: Any) -> Any:
    if st is not None:
        return st
    import streamlit  # lazily: the package must import without Streamlit installed

    return streamlit


def _default_client() -> Client:
    return Client(os.environ.get("SESSION_STORE_URL", "http://127.0.0.1:8080"), os.environ["SESSION_STORE_KEY"])


def _selector(keys: Optional[Iterable[str]], exclude: Optional[Iterable[str]]) -> Callable[[str], bool]:
    wanted = None if keys is None else set(keys)
    unwanted = set(exclude or ())
    # The helper's own keys (META_KEY and its widgets' keys, META_KEY + ":...") are never kept.
    return lambda key: not key.startswith(META_KEY) and not key.startswith("FormSubmitter:") and (wanted is None or key in wanted) and key not in unwanted


#: Widgets whose value Streamlit refuses to take from st.session_state (a button's click, an
#: uploaded file, a chat message): restoring one fails when the widget is created, so never saved.
_MOMENTARY_WIDGET_VALUES = {"trigger_value", "string_trigger_value", "json_trigger_value", "chat_input_value", "file_uploader_state_value"}


def _read_only_widget_keys(state: Any, st: Any) -> Dict[str, str]:
    """The keys of st.session_state bound to widgets of this or the previous run whose value the
    app may not set, each with the reason. Streamlit checks this only when the widget is created
    (StreamlitValueAssignmentNotAllowedError), after a restore could be undone, so the helper
    reads Streamlit's widget registry before saving. Outside a Streamlit run (or if Streamlit's
    internals change shape) nothing is known, and `exclude=` remains the way to leave keys out."""
    if getattr(st, "__name__", None) != "streamlit":
        return {}
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        run = get_script_run_ctx(suppress_warning=True)
        if run is None:
            return {}
        inner = run.session_state._state  # SafeSessionState -> SessionState
        keys_of = inner._key_id_mapper.id_key_mapping
        metadata = inner._new_widget_state.widget_metadata
    except Exception:
        return {}
    found: Dict[str, str] = {}
    for widget_id, key in keys_of.items():
        meta = metadata.get(widget_id)
        if meta is None or key not in state:
            continue
        if meta.value_type in _MOMENTARY_WIDGET_VALUES:
            found[key] = "momentary"
        else:
            try:
                value = state[key]
            except Exception:
                continue
            # A data editor's edits or a chart's or table's selection: a mapping Streamlit derives
            # from what the browser did, read-only to the app. Values of writable widgets are scalars,
            # dates, lists or the options given.
            if isinstance(value, Mapping) and meta.value_type == "string_value":
                found[key] = "derived"
    return found


def _new_session_id() -> str:
    return f"st-{secrets.token_urlsafe(12)}".replace("_", "-")


def persist_session_state(
    keys: Optional[Iterable[str]] = None,
    exclude: Optional[Iterable[str]] = None,
    session_id: Optional[str] = None,
    *,
    client: Optional[Client] = None,
    query_param: str = "sid",
    message: Optional[str] = None,
    st: Any = None,
) -> str:
    """Loads the saved state on the first run of a browser session, and saves on every run
    where something changed. Returns the session id.

    - The session id comes from `session_id`, else from the URL's `?sid=` query parameter, else a
      new one is made and written to the URL, so a reload finds the same session again.
    - `client` defaults to one built from SESSION_STORE_URL (default http://127.0.0.1:8080) and
      SESSION_STORE_KEY.
    - `keys` limits what is kept to those keys; `exclude` leaves keys out (widget keys that
      Streamlit does not let you set, say).
    - A value the encoding cannot hold (a file handle, a widget's internal object) is left out,
      with one warning naming its key, never saved as null.
    """
    st = _streamlit(st)
    client = client or _default_client()
    state = st.session_state
    selected = _selector(keys, exclude)
    meta: Optional[Dict[str, Any]] = state.get(META_KEY)

    if meta is None:
        sid = session_id or st.query_params.get(query_param) or _new_session_id()
        if st.query_params.get(query_param) != sid:
            st.query_params[query_param] = sid
        # Nothing saved yet reads as an empty state: a new tab whose state is still empty is no change.
        meta = {"sid": sid, "version": None, "last": canonical({}), "warned": set(), "keys": None if keys is None else list(keys), "exclude": list(exclude or ())}
        try:
            loaded = client.load_versioned(sid)
        except NotFound:
            loaded = None
        if loaded is not None and isinstance(loaded.state, dict):
            for key, value in loaded.state.items():
                if not selected(key):
                    continue
                try:
                    state[key] = value
                except Exception as error:  # Streamlit refuses to set some widget keys
                    logger.warning("session_store: could not restore key %r: %s", key, error)
            meta["version"] = loaded.version
            meta["last"] = canonical(encode_items({k: v for k, v in loaded.state.items() if selected(k)})[0])
        state[META_KEY] = meta

    # Remembered for the browser session: between runs Streamlit sometimes holds a widget's state
    # without the metadata that says what it is (seen for file uploaders at the top of a rerun).
    read_only: Dict[str, str] = meta.setdefault("read_only", {})
    read_only.update(_read_only_widget_keys(state, st))
    for key, reason in read_only.items():
        if reason == "derived" and selected(key) and key not in meta["warned"]:
            meta["warned"].add(key)
            _warn(
                f"session_store: not saving st.session_state[{key!r}]: it belongs to a widget whose value Streamlit does not "
                "let the app set (a data editor's edits, a selection); keep the data it shows in a key of your own"
            )
    snapshot, skipped = encode_items({key: state[key] for key in list(state.keys()) if selected(key) and key not in read_only})
    for error in skipped:
        key = error.path.split("/")[1]
        if key not in meta["warned"]:
            meta["warned"].add(key)
            _warn(f"session_store: not saving st.session_state[{key!r}]: {error}")
    text = canonical(snapshot)
    if text != meta["last"]:
        answer = _save_encoded(client, meta["sid"], snapshot, message)
        meta["version"] = answer["version"]
        meta["last"] = text
    return meta["sid"]


def _warn(text: str) -> None:
    logger.warning("%s", text)
    warnings.warn(text, stacklevel=3)


def _save_encoded(client: Client, sid: str, encoded: Dict[str, Any], message: Optional[str]) -> Dict[str, Any]:
    # The snapshot is already encoded: sent as it is. The client is shared by every browser
    # session of the app (st.cache_resource), so nothing here may change it.
    return client.save(sid, encoded, message=message, idempotency_key=str(uuid.uuid4()), encoded=True)


def _label(item: Dict[str, Any]) -> str:
    when = dt.datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")).astimezone()
    text = f"v{item['version']} · {when:%Y-%m-%d %H:%M:%S}"
    if item.get("kind") == "restore":
        text += f" · restored v{item.get('restored_from')}"
    if item.get("message"):
        text += f" · {item['message']}"
    return text


def restore_widget(
    *,
    client: Optional[Client] = None,
    label: str = "Earlier versions",
    button: str = "Restore",
    limit: int = 50,
    st: Any = None,
) -> Optional[Dict[str, Any]]:
    """A selectbox of the session's versions (time, message) and a button that restores the one
    chosen: it becomes a new version (nothing is lost) and the app reruns with it."""
    st = _streamlit(st)
    client = client or _default_client()
    meta = st.session_state.get(META_KEY)
    if meta is None:
        raise RuntimeError("call persist_session_state() before restore_widget()")
    try:
        items: List[Dict[str, Any]] = client.history(meta["sid"], limit=limit)["items"]
    except NotFound:
        items = []
    if not items:
        st.caption("No saved versions yet.")
        return None
    labels = {item["version"]: _label(item) for item in items}
    choice = st.selectbox(label, list(labels), format_func=labels.get, key=f"{META_KEY}:version")
    if not st.button(button, key=f"{META_KEY}:restore"):
        return None
    answer = client.restore(meta["sid"], version=choice, message=f"restored v{choice} from the app")
    # Forget this run's values so that the next run loads the restored state.
    selected = _selector(meta["keys"], meta["exclude"])
    for key in list(st.session_state.keys()):
        if key == META_KEY or selected(key):
            del st.session_state[key]
    st.rerun()
    return answer


__all__ = ["persist_session_state", "restore_widget", "META_KEY"]
