"""A small Streamlit app whose state survives reloads and redeploys: a chat and a data editor.

    SESSION_STORE_KEY=$(cat ../../.data/default-api-key) streamlit run examples/app.py

Reload the tab: the conversation and the table are still there (the session id is in the URL).
The sidebar lists the saved versions and restores any of them.
"""
import datetime as dt
import os

import pandas as pd
import streamlit as st

from session_store import Client, persist_session_state, restore_widget

client = Client(os.environ.get("SESSION_STORE_URL", "http://127.0.0.1:8080"), os.environ["SESSION_STORE_KEY"])

# First line: on the first run of a browser session this loads the saved state; on every run it
# saves what changed since the last save.
sid = persist_session_state(exclude=["upload"], client=client)

st.title("Chat with memory")

if "messages" not in st.session_state:
    st.session_state.messages = []
if "table" not in st.session_state:
    st.session_state.table = pd.DataFrame(
        {"item": ["apples", "pears"], "qty": [3, 5], "bought": pd.to_datetime(["2026-01-01", "2026-01-02"])}
    )

for message in st.session_state.messages:
    with st.chat_message(message["role"]):
        st.write(message["text"])

prompt = st.chat_input("Say something")
if prompt:
    now = dt.datetime.now(dt.timezone.utc)
    st.session_state.messages.append({"role": "user", "text": prompt, "at": now})
    reply = f"You said {prompt!r} ({len(st.session_state.messages) // 2 + 1} messages so far)."
    st.session_state.messages.append({"role": "assistant", "text": reply, "at": now})
    with st.chat_message("user"):
        st.write(prompt)
    with st.chat_message("assistant"):
        st.write(reply)

st.subheader("Shopping list")
edited = st.data_editor(st.session_state.table, num_rows="dynamic")
if not edited.equals(st.session_state.table):
    st.session_state.table = edited

with st.sidebar:
    st.caption(f"Session {sid}")
    restore_widget(client=client)

# Last line (optional): saves this run's changes now rather than at the start of the next run.
persist_session_state(exclude=["upload"], client=client)
