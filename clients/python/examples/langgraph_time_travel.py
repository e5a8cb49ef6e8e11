"""Time travel with LangGraph on the session-state store: a two-node chat graph whose checkpoints
are versions of store sessions.

    pip install "./clients/python[langgraph]"
    SST_BASE_URL=http://127.0.0.1:8080 SST_TOKEN=$(cat .data/default-api-key) python clients/python/examples/langgraph_time_travel.py

It chats three turns on one thread, lists the thread's checkpoints (get_state_history), goes back to
the checkpoint after the first turn and asks something else from there (a branch: the first
timeline stays as it was), then edits the state by hand (update_state) and goes on from the edit.
"""

import json
import os
import sys
import uuid
from typing import Annotated, Any, Dict, List, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from session_store import Client
from session_store.langgraph_saver import SessionStoreSaver


class Chat(TypedDict):
    messages: Annotated[List[AnyMessage], add_messages]
    turns: int


def reply(state: Chat) -> Dict[str, Any]:
    """The assistant: answers the last user message (a stand-in for a model call)."""
    question = state["messages"][-1].content
    return {"messages": [AIMessage(content=f"You said: {question}")]}


def tally(state: Chat) -> Dict[str, Any]:
    """Counts the turns, so the state has a channel besides the messages."""
    return {"turns": state.get("turns", 0) + 1}


def build(saver: SessionStoreSaver):
    graph = StateGraph(Chat)
    graph.add_node("reply", reply)
    graph.add_node("tally", tally)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", "tally")
    graph.add_edge("tally", END)
    return graph.compile(checkpointer=saver)


def texts(state: Dict[str, Any]) -> List[str]:
    return [message.content for message in state["messages"]]


def main(client: Client, thread_id: str) -> Dict[str, Any]:
    app = build(SessionStoreSaver(client))
    config = {"configurable": {"thread_id": thread_id}}
    for question in ("hello", "how are you?", "bye"):
        app.invoke({"messages": [HumanMessage(content=question)]}, config)

    # Every checkpoint of the thread, newest first: per turn, the input, after reply, after tally.
    history = list(app.get_state_history(config))
    after_first_turn = next(s for s in history if s.values.get("turns") == 1 and s.next == ())

    # Invoke from that checkpoint: a branch. The three-turn timeline is still there.
    branched = app.invoke({"messages": [HumanMessage(content="tell me a joke")]}, after_first_turn.config)

    # Edit the state by hand (as a human reviewer would), then go on from the edit.
    edited_config = app.update_state(config, {"messages": [AIMessage(content="(a reviewer's note)")]})
    after_edit = app.invoke({"messages": [HumanMessage(content="and now?")]}, config)

    return {
        "checkpoints": len(history),
        "first_turn": texts(after_first_turn.values),
        "branch": texts(branched),
        "branch_turns": branched["turns"],
        "edited_checkpoint": edited_config["configurable"]["checkpoint_id"],
        "latest": texts(after_edit),
        "latest_turns": after_edit["turns"],
        "history_now": len(list(app.get_state_history(config))),
        "first_timeline_kept": texts(app.get_state(history[0].config).values),
    }


if __name__ == "__main__":
    result = main(Client(os.environ["SST_BASE_URL"], os.environ["SST_TOKEN"]), sys.argv[1] if len(sys.argv) > 1 else f"demo-{uuid.uuid4().hex[:8]}")
    print(json.dumps(result, indent=2))
