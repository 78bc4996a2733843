"""Issue 11's crash loop, the short run for CI: a mixed workload (Wait, Parallel, inline Map,
activities with heartbeats and a Retry, a `.waitForTaskToken` callback, a weighted alias, two
gradual deployments) while the server is `kill -9`ed 14 times at random moments (0.2 to 2.0 s
apart, now and then again while it recovers) and restarted on the same data directory and port.
Then every execution's description and full history, the clients' records of task tokens and
acknowledged completions, and the deployments are checked (`crashloop.Checker`).

The seed is random unless SWITCHBACK_CRASH_SEED is set, and printed: `scripts/crash-loop --seed N
--kills 14 --executions 96` replays the same kill schedule and workload.
SWITCHBACK_KEEP_CRASH_DIR=1 keeps the data directory and the server log.
"""
import os
import random

import crashloop

KILLS = 14
EXECUTIONS = 96


def test_nothing_is_lost_or_duplicated_across_kill_9s(binary):
    seed = int(os.environ.get("SWITCHBACK_CRASH_SEED") or random.randrange(1, 1_000_000))
    print(f"crash loop seed {seed}")
    settings = crashloop.Settings(
        kills=KILLS, seed=seed, executions=EXECUTIONS, binary=binary, log=print,
        keep_data=bool(os.environ.get("SWITCHBACK_KEEP_CRASH_DIR")))
    report = crashloop.run(settings)
    summary = report.summary()
    print(summary)
    assert not report.violations, summary
    # The run did what it says: every kill, every execution, the tasks, the callbacks and both
    # deployments went through the checker.
    assert report.kills == KILLS, summary
    assert report.executions == EXECUTIONS, summary
    assert report.handouts > 0 and report.acks > 0 and report.callbacks > 0, summary
    assert sorted(kind for kind, _, _ in report.deployments) == ["canary", "deployed"], summary


def synthetic_history():
    """A well-formed history of the serial workflow (Wait, activity Task, Pass)."""
    import datetime
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    rows = [
        ("ExecutionStarted", 0, {}),
        ("WaitStateEntered", 0, {"stateEnteredEventDetails": {"name": "Wait"}}),
        ("WaitStateExited", 2, {"stateExitedEventDetails": {"name": "Wait"}}),
        ("TaskStateEntered", 3, {"stateEnteredEventDetails": {"name": "Work"}}),
        ("ActivityScheduled", 4, {"activityScheduledEventDetails": {
            "input": '{"id":1,"step":"Work","attempt":0}'}}),
        ("ActivityStarted", 5, {}),
        ("ActivitySucceeded", 6, {"activitySucceededEventDetails": {"output": "{}"}}),
        ("TaskStateExited", 7, {"stateExitedEventDetails": {"name": "Work"}}),
        ("ExecutionSucceeded", 8, {}),
    ]
    return [dict(type=t, id=n + 1, previousEventId=p,
                 timestamp=start + datetime.timedelta(milliseconds=10 * n), **details)
            for n, (t, p, details) in enumerate(rows)]


def test_the_checker_passes_a_good_history_and_flags_each_kind_of_damage():
    import copy
    assert crashloop.history_problems("x", synthetic_history(), "SUCCEEDED") == []

    def damaged(change):
        events = copy.deepcopy(synthetic_history())
        change(events)
        return crashloop.history_problems("x", events, "SUCCEEDED")

    def renumber(events):
        for n, event in enumerate(events):
            event["id"] = n + 1

    def duplicate_outcome(events):
        events.insert(7, dict(copy.deepcopy(events[6]), previousEventId=6))
        renumber(events)

    def event_after_end(events):
        events.append(dict(copy.deepcopy(events[7]), id=10, previousEventId=9))

    def older(events):
        events[5]["timestamp"] = events[0]["timestamp"]

    def exit_before_enter(events):
        events[2]["stateExitedEventDetails"]["name"] = "Other"

    def forward_pointer(events):
        events[3]["previousEventId"] = 6

    def second_start(events):
        events.insert(4, dict(copy.deepcopy(events[0])))
        renumber(events)

    for change in (lambda e: e.pop(4), lambda e: e.append(copy.deepcopy(e[-1])),
                   duplicate_outcome, event_after_end, older, exit_before_enter,
                   forward_pointer, second_start):
        assert damaged(change), change
    # The task ledger side: two acknowledged completions of one task are seen by the key.
    closes, keys = crashloop.tasks_of(synthetic_history(), 1)
    assert keys == {(1, "Work", None, 0): 1}
    assert closes[(1, "Work", None, 0)]["type"] == "ActivitySucceeded"
