"""A small Chainlit chat whose threads persist in the session-state store.

    SESSION_STORE_KEY=$(cat .data/default-api-key) CHAINLIT_AUTH_SECRET=$(openssl rand -hex 32) \
    APP_PASSWORD=secret chainlit run clients/python/examples/chainlit_app.py

Sign in with any user name and APP_PASSWORD. Every thread is a session of the store
(`chainlit.thread.<id>`): it is in the history sidebar after a restart, and its versions can be
browsed and restored on the store's history page.
"""
import hmac
import os

import chainlit as cl

from session_store.chainlit import SessionStoreDataLayer


@cl.data_layer
def data_layer():
    # SESSION_STORE_URL (default http://127.0.0.1:8080) and SESSION_STORE_KEY; checks both at once.
    return SessionStoreDataLayer()


@cl.password_auth_callback
def sign_in(username: str, password: str):
    if username and hmac.compare_digest(password.encode(), os.environ["APP_PASSWORD"].encode()):
        return cl.User(identifier=username, metadata={"provider": "password"})
    return None


@cl.on_chat_start
async def start():
    cl.user_session.set("turns", 0)


@cl.on_chat_resume
async def resume(thread):
    # The thread's steps are shown by Chainlit itself; the app only picks up its own count.
    cl.user_session.set("turns", sum(1 for step in thread["steps"] if step["type"] == "user_message"))


@cl.on_message
async def answer(message: cl.Message):
    turns = cl.user_session.get("turns", 0) + 1
    cl.user_session.set("turns", turns)
    await cl.Message(content=f"Echo {turns}: {message.content}").send()
