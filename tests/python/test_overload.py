"""Overload at CI levels: bench/overload.py's five scenarios, smaller, with the same checks.

1. 1,500 activity workers wait in GetActivityTask (raw asyncio sockets, one connection each);
   ListActivities / DescribeActivity from a separate process stay fast (median under 250 ms and
   within 20x their median before the flood); 300 executions of the activity's machine all
   SUCCEED with their worker's output, each task handed to exactly one worker.
2. 300 clients start executions of a Pass machine for 4 s, retrying ThrottlingException as the
   SDKs do; every start answered 200 exists and SUCCEEDS, and ListExecutions lists exactly those.
3. 50 slowloris connections (a request head a byte a second) are closed within 15 s, 200 idle
   connections stop nobody, and two bodies announced as 1,000 bytes and never finished get 408
   RequestTimeoutException after about 30 s and create nothing.
4. 8 clients send StartExecution inputs just under 256 KiB and 1,048,576-byte and 1,048,577-byte
   bodies as fast as they can for 4 s: 200, 200 and 413 each time, RSS under 1.5 GiB.
5. 256 connections announce 1 MiB bodies and never send them for 5 s: everyone else is served.

Scenario 3's unfinished bodies wait out the server's 30 s body deadline, so it runs in a thread
of its own from the start, beside the others: its slowloris and idle connections are held while
the long polls flood; the start flood waits until they are gone, so that its load does not count
against the slow clients' latency. About 35 s in all.

The full levels (10,000 workers, 1,000 starting clients) and a table of the figures:
`.venv/bin/python bench/overload.py --binary $SWITCHBACK_BIN`.
"""
import asyncio
import json
import os
import sys
import threading

import pytest

from conftest import running_server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import overload  # noqa: E402

POLLERS = 1_500
EXECUTIONS = 300
STARTERS = 300
START_SECONDS = 4.0
SLOWLORIS = 50
IDLE = 200
SLOW_BODIES = 2
BIG_CLIENTS = 8
BIG_SECONDS = 4.0
PROBE_SECONDS = 2.0
# Scenarios 1 and 3 hold their connections at once; a few hundred more for the rest.
NEEDED_FILES = POLLERS + 64 + SLOWLORIS + IDLE + SLOW_BODIES + 300


@pytest.fixture(scope="module")
def target(binary):
    limit = overload.raise_open_files()
    if limit < NEEDED_FILES:
        pytest.skip(f"the open-files hard limit is {limit}, the overload test needs "
                    f"{NEEDED_FILES} (raise it: ulimit -Hn)")
    with running_server(binary, "switchback-overload-") as srv:
        server_limit = overload.open_files_limit(srv.process.pid)
        if server_limit < NEEDED_FILES:
            pytest.skip(f"the server's open-files limit is {server_limit}, the overload test "
                        f"needs {NEEDED_FILES}")
        yield overload.Target("127.0.0.1", srv.port, srv.process.pid)


class SlowClients:
    """Scenario 3 in a thread (and event loop) of its own."""

    def __init__(self, target):
        self.slowloris_done = threading.Event()
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self.thread.start()

    def _run(self, target):
        try:
            self.result = asyncio.run(overload.slow_clients(
                target, SLOWLORIS, IDLE, SLOW_BODIES, PROBE_SECONDS,
                on_slowloris_done=self.slowloris_done.set))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            self.error = error
        finally:
            self.slowloris_done.set()

    def join(self):
        self.thread.join(120)
        assert not self.thread.is_alive(), "the slow clients' scenario did not end"
        if self.error:
            raise self.error
        return self.result


@pytest.fixture(scope="module", autouse=True)
def slow(target):
    yield SlowClients(target)


def show(name, result):
    print(f"{name}: {json.dumps(result, default=str)[:6000]}")


def assert_responsive(before, during):
    for op, figures in during["calls"].items():
        base = before["calls"][op]["median_ms"]
        median = figures["median_ms"]
        assert figures["n"] > 0, f"no {op} was answered"
        assert median <= overload.RESPONSIVE_MEDIAN_MS, (op, before["calls"][op], figures)
        assert median <= overload.RESPONSIVE_FACTOR * max(base, 0.05), (
            op, before["calls"][op], figures)
    assert during["error_count"] == 0, during["errors"]


def test_long_polls_leave_the_server_responsive_and_hand_each_task_out_once(target):
    r = asyncio.run(overload.long_polls(target, POLLERS, EXECUTIONS, PROBE_SECONDS))
    show("long polls", r)
    # Every worker waited at once, and the server held a connection for each.
    assert r["polls_waiting"] == POLLERS
    assert r["polls_waiting_after_probe"] == POLLERS
    assert r["early_answers"] == 0
    assert r["flood_fds"] >= POLLERS
    assert_responsive(r["latency_before"], r["latency_during"])
    # Every execution started, its one task went to exactly one worker, and it succeeded with
    # what that worker answered.
    assert r["started"] == EXECUTIONS
    assert r["tasks_handed_out"] == EXECUTIONS
    assert r["duplicate_tokens"] == {}
    assert r["tasks_handed_twice"] == {}
    assert r["lost_tasks"] == []
    assert r["not_succeeded"] == {}
    assert r["wrong_output"] == {}
    assert r["error_count"] == 0, r["errors"]
    assert overload.problems_of("polls", r) == []


def test_a_flood_of_starts_drops_nothing_it_accepted(target, slow):
    assert slow.slowloris_done.wait(60)
    r = asyncio.run(overload.start_flood(target, STARTERS, START_SECONDS))
    show("start flood", r)
    assert r["accepted"] > 0
    # Nothing but throttles (retried) came back other than 200, and no connection failed.
    assert r["refused"] == 0 and r["ambiguous"] == 0, r["errors"]
    assert r["error_count"] == 0, r["errors"]
    # Every accepted start exists and succeeded; ListExecutions lists those and no others.
    assert r["missing_count"] == 0, r["missing"]
    assert r["not_succeeded_count"] == 0, r["not_succeeded"]
    assert r["listed"] == r["accepted"]
    assert r["accepted_not_listed"] == 0 and r["listed_not_accepted"] == 0
    assert r["latency_during"]["error_count"] == 0, r["latency_during"]["errors"]
    assert overload.problems_of("starts", r) == []


def test_big_requests_are_answered_rightly_and_memory_stays_bounded(target):
    r = asyncio.run(overload.big_requests(target, BIG_CLIENTS, BIG_SECONDS))
    show("big requests", r)
    assert r["start_body_bytes"] < overload.MAX_BODY_BYTES
    assert overload.MAX_INPUT_BYTES - 200 < r["input_bytes"] <= overload.MAX_INPUT_BYTES
    # 200 to the input just under 256 KiB and to the body of exactly 1 MiB (its padding member
    # ignored), 413 RequestEntityTooLargeException to one byte more; throttles were retried.
    assert r["wrong_count"] == 0, r["wrong_answers"]
    assert r["counts"].get("start 200") and r["counts"].get("exact 200"), r["counts"]
    assert r["counts"].get("over 413"), r["counts"]
    assert r["peak_rss_kb"] < overload.RSS_BOUND_KB, r["peak_rss_kb"]
    # The accepted starts all ran; the padded CreateActivity made one activity.
    assert r["accepted_starts"] > 0
    assert r["listed"] == r["accepted_starts"]
    assert r["accepted_not_listed"] == 0 and r["listed_not_accepted"] == 0
    assert r["listed_statuses"] == {"SUCCEEDED": r["accepted_starts"]}
    assert r["activities_named"] == 1
    # A separate client was answered, and not slowly.
    during = r["latency_during"]
    assert during["error_count"] == 0, during["errors"]
    assert during["calls"]["ListActivities"]["median_ms"] <= overload.RESPONSIVE_MEDIAN_MS, during
    assert overload.problems_of("big", r) == []


def test_slow_and_silent_clients_are_cut_off(slow):
    r = slow.join()
    show("slow clients", r)
    # Every slowloris connection was closed, within 15 s of its first byte.
    assert r["slowloris_closed"] == SLOWLORIS, r
    assert r["slowloris_not_closed"] == 0
    assert r["slowloris_closed_after_s"]["max"] <= overload.SLOWLORIS_CUTOFF_S, r
    # Each unfinished body got 408 RequestTimeoutException after about 30 s, and nothing of its
    # request was created.
    low, high = overload.BODY_TIMEOUT_WINDOW_S
    assert len(r["slow_body_answers"]) == SLOW_BODIES
    for answer in r["slow_body_answers"]:
        assert answer.get("status") == 408, answer
        assert answer.get("type") == "RequestTimeoutException", answer
        assert low <= answer["seconds"] <= high, answer
        assert answer["created"] is False, answer
    # Meanwhile the server answered a separate client as fast as before, and new connections.
    assert_responsive(r["latency_before"], r["latency_during_slowloris"])
    assert r["latency_during_slowloris"]["fresh_connection"]["n"] > 0
    assert r["latency_during_slow_bodies"]["error_count"] == 0
    assert overload.problems_of("slow", r) == []


def test_bodies_announced_and_never_sent_hold_no_budget(target):
    """256 connections announce 1 MiB bodies and send none of them: the body budget is charged
    by the bytes that arrive, so everyone else's calls, SDK-like starts included, go on."""
    r = asyncio.run(overload.body_budget(target, hogs=256, hold_seconds=5.0))
    show("body budget", r)
    assert r["sdk_starts_accepted"] == r["sdk_starts"], r
    assert all(key.endswith(" 200") for key in r["during_statuses"]), r["during_statuses"]
    assert sum(r["during_statuses"].values()) > 0, r
    assert overload.problems_of("budget", r) == []
