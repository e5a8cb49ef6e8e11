"""The 300-turn chat of issue 17 through a LangGraph checkpointer; prints its figures as JSON.

    python bench/langgraph_chat.py store --base-url URL --token TOKEN [--turns 300] [--thread T]
    python bench/langgraph_chat.py mysql --conn mysql://user:pass@localhost/db?unix_socket=... [--turns 300]

One thread; each turn sends a user message of ~200 characters and a one-node graph answers with an
assistant message of ~200 characters, both kept in a `messages` list (add_messages), so a turn
makes three checkpoints (input, the step, the answer). Figures: the time of each turn
(graph.invoke), and the time to load the latest checkpoint and the one after turn 10
(get_tuple), each loaded `--loads` times. `npm run bench:langgraph` runs both savers on the same
MariaDB and measures the bytes each stored.
"""
import argparse
import json
import random
import statistics
import time
from typing import Annotated, Any, Dict, List, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

WORDS = "state store patch version history checkpoint graph message agent turn thread value".split()


class Chat(TypedDict):
    messages: Annotated[List[AnyMessage], add_messages]


def text(rng: random.Random, length: int = 200) -> str:
    words: List[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS) + str(rng.randrange(1000)))
    return " ".join(words)[:length]


def build(saver):
    rng = random.Random(2)

    def assistant(state: Chat) -> Dict[str, Any]:
        return {"messages": [AIMessage(content=text(rng))]}

    graph = StateGraph(Chat)
    graph.add_node("assistant", assistant)
    graph.add_edge(START, "assistant")
    graph.add_edge("assistant", END)
    return graph.compile(checkpointer=saver)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def figures(samples: List[float]) -> Dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": ms(statistics.median(ordered)),
        "p90_ms": ms(ordered[int(0.9 * (len(ordered) - 1))]),
        "max_ms": ms(ordered[-1]),
    }


def run(saver, turns: int, loads: int, thread: str) -> Dict[str, Any]:
    app = build(saver)
    rng = random.Random(1)
    config = {"configurable": {"thread_id": thread}}
    turn_times: List[float] = []
    turn10_config = None
    for turn in range(1, turns + 1):
        started = time.perf_counter()
        app.invoke({"messages": [HumanMessage(content=text(rng))]}, config)
        turn_times.append(time.perf_counter() - started)
        if turn == min(10, turns):
            turn10_config = saver.get_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}}).config

    def timed_loads(load_config) -> Dict[str, float]:
        samples = []
        for _ in range(loads):
            started = time.perf_counter()
            loaded = saver.get_tuple(load_config)
            samples.append(time.perf_counter() - started)
            assert loaded is not None
        return figures(samples)

    latest = saver.get_tuple({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})
    checkpoints = len(list(saver.list({"configurable": {"thread_id": thread, "checkpoint_ns": ""}})))
    last_tenth = turn_times[-max(1, turns // 10):]
    return {
        "turns": turns,
        "checkpoints": checkpoints,
        "messages": len(latest.checkpoint["channel_values"]["messages"]),
        "message_chars": sum(len(m.content) for m in latest.checkpoint["channel_values"]["messages"]),
        "turn": {**figures(turn_times), "last_tenth_p50_ms": ms(statistics.median(last_tenth)), "total_s": round(sum(turn_times), 2)},
        "latest_load": timed_loads({"configurable": {"thread_id": thread, "checkpoint_ns": ""}}),
        "turn10_load": timed_loads(turn10_config),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("saver", choices=["store", "mysql"])
    parser.add_argument("--base-url")
    parser.add_argument("--token")
    parser.add_argument("--conn")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--thread", default="bench-chat")
    args = parser.parse_args()
    if args.saver == "store":
        from session_store import Client
        from session_store.langgraph_saver import SessionStoreSaver

        result = run(SessionStoreSaver(Client(args.base_url, args.token)), args.turns, args.loads, args.thread)
    else:
        from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver

        with PyMySQLSaver.from_conn_string(args.conn) as saver:
            saver.setup()
            result = run(saver, args.turns, args.loads, args.thread)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
