"""The 300-turn chat of issue 17 through a LangGraph checkpointer; prints its figures as JSON.

    python bench/langgraph_chat.py --base-url URL --token TOKEN --conn mysql://user:pass@localhost/db?unix_socket=... [--turns 300]

One thread; each turn sends a user message of ~200 characters and a one-node graph answers with an
assistant message of ~200 characters, both kept in a `messages` list (add_messages), so a turn
makes three checkpoints (input, the step, the answer). Figures: the time of each turn
(graph.invoke), and the time to load the latest checkpoint and the one after turn 10
(get_tuple), each loaded `--loads` times, cold (the store saver forgets the head it knows first). The savers (SessionStoreSaver on the store at --base-url,
PyMySQLSaver on --conn) take turns, so that the machine's other work weighs on both alike.
`npm run bench:langgraph` runs it on one MariaDB and measures the bytes each saver stored.
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


def run(savers: Dict[str, Any], turns: int, loads: int, thread: str) -> Dict[str, Any]:
    """The same chat through every saver, turn by turn in alternation (and each load likewise), so
    that whatever else the machine does weighs on all of them alike."""
    names = list(savers)
    apps = {name: build(saver) for name, saver in savers.items()}
    rngs = {name: random.Random(1) for name in names}
    config = {"configurable": {"thread_id": thread}}
    latest_config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    turn_times: Dict[str, List[float]] = {name: [] for name in names}
    turn10: Dict[str, Any] = {}
    for turn in range(1, turns + 1):
        for name in names if turn % 2 else reversed(names):
            started = time.perf_counter()
            apps[name].invoke({"messages": [HumanMessage(content=text(rngs[name]))]}, config)
            turn_times[name].append(time.perf_counter() - started)
            if turn == min(10, turns):
                turn10[name] = savers[name].get_tuple(latest_config).config

    load_times: Dict[str, Dict[str, List[float]]] = {name: {"latest": [], "turn10": []} for name in names}
    for i in range(loads):
        for name in names if i % 2 else reversed(names):
            for which, load_config in (("latest", latest_config), ("turn10", turn10[name])):
                # Cold loads: SessionStoreSaver forgets the head it wrote (with it, a latest load
                # is a conditional GET answered 304, as at the start of each turn), so the state
                # is sent and decoded as for a new process.
                getattr(savers[name], "_heads", {}).clear()
                started = time.perf_counter()
                loaded = savers[name].get_tuple(load_config)
                load_times[name][which].append(time.perf_counter() - started)
                assert loaded is not None

    results: Dict[str, Any] = {}
    for name in names:
        saver = savers[name]
        latest = saver.get_tuple(latest_config)
        messages = latest.checkpoint["channel_values"]["messages"]
        times = turn_times[name]
        last_tenth = times[-max(1, turns // 10):]
        results[name] = {
            "turns": turns,
            "checkpoints": len(list(saver.list(latest_config))),
            "messages": len(messages),
            "message_chars": sum(len(m.content) for m in messages),
            "turn": {**figures(times), "last_tenth_p50_ms": ms(statistics.median(last_tenth)), "total_s": round(sum(times), 2)},
            "latest_load": figures(load_times[name]["latest"]),
            "turn10_load": figures(load_times[name]["turn10"]),
        }
    # The two savers hold the same conversation.
    contents = {name: [m.content for m in savers[name].get_tuple(latest_config).checkpoint["channel_values"]["messages"]] for name in names}
    assert len({json.dumps(c) for c in contents.values()}) == 1, "the savers hold different conversations"
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--conn", required=True, help="the MySQL saver's connection string")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--thread", default="bench-chat")
    args = parser.parse_args()
    from langgraph.checkpoint.mysql.pymysql import PyMySQLSaver

    from session_store import Client
    from session_store.langgraph_saver import SessionStoreSaver

    with PyMySQLSaver.from_conn_string(args.conn) as mysql_saver:
        mysql_saver.setup()
        store_saver = SessionStoreSaver(Client(args.base_url, args.token))
        print(json.dumps(run({"store": store_saver, "mysql": mysql_saver}, args.turns, args.loads, args.thread)))


if __name__ == "__main__":
    main()
