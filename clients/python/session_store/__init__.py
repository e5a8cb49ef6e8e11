"""Client of the session-state store: save, load, history, diff, restore and fork of JSON
session states, plus Streamlit helpers that keep st.session_state across reloads."""
from .client import Client, Loaded
from .encoding import Unencodable, decode, encode
from .errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    ServerError,
    SessionStoreError,
    Unauthorized,
    UnsupportedMediaType,
    Unprocessable,
)
from .streamlit_helper import persist_session_state, restore_widget

__all__ = [
    "Client", "Loaded", "encode", "decode", "Unencodable", "persist_session_state", "restore_widget",
    "SessionStoreError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "Gone",
    "PreconditionFailed", "PayloadTooLarge", "UnsupportedMediaType", "Unprocessable", "RateLimited",
    "ServerError", "ConnectionFailed",
]
