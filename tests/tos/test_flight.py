import threading

import pytest

from services.tos.errors import Busy
from services.tos.flight import SingleFlight
from tests.conftest import wait_for


def _in_thread(fn):
    box = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as exc:  # handed to the test thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


def test_a_follower_shares_the_leaders_result():
    flight, release, calls = SingleFlight(wait=5), threading.Event(), []

    def slow():
        calls.append(1)
        release.wait(5)
        return "parsed"

    leader, leader_box = _in_thread(lambda: flight.run("k", slow))
    wait_for(lambda: flight.running("k"))
    follower, follower_box = _in_thread(lambda: flight.run("k", slow))
    wait_for(lambda: flight.waiting("k") == 1)
    release.set()
    leader.join(5), follower.join(5)
    assert leader_box["value"] == follower_box["value"] == "parsed"
    assert len(calls) == 1
    assert not flight.running("k")


def test_a_follower_gives_up_with_busy():
    flight, release = SingleFlight(wait=0.05), threading.Event()
    leader, box = _in_thread(lambda: flight.run("k", lambda: release.wait(5)))
    wait_for(lambda: flight.running("k"))
    with pytest.raises(Busy, match="retry"):
        flight.run("k", lambda: "second parse")
    release.set()
    leader.join(5)
    assert box["value"] is True


def test_the_leaders_error_reaches_the_follower():
    flight, release = SingleFlight(wait=5), threading.Event()

    def failing():
        release.wait(5)
        raise ValueError("corrupt")

    leader, leader_box = _in_thread(lambda: flight.run("k", failing))
    wait_for(lambda: flight.running("k"))
    follower, follower_box = _in_thread(lambda: flight.run("k", failing))
    wait_for(lambda: flight.waiting("k") == 1)
    release.set()
    leader.join(5), follower.join(5)
    assert str(leader_box["error"]) == str(follower_box["error"]) == "corrupt"


def test_different_keys_do_not_wait_for_each_other():
    flight, release = SingleFlight(wait=0.01), threading.Event()
    leader, _ = _in_thread(lambda: flight.run("a", lambda: release.wait(5)))
    wait_for(lambda: flight.running("a"))
    assert flight.run("b", lambda: "b") == "b"
    release.set()
    leader.join(5)


def test_calls_after_the_first_finished_run_again():
    flight, calls = SingleFlight(wait=1), []
    flight.run("k", lambda: calls.append(1))
    flight.run("k", lambda: calls.append(1))
    assert len(calls) == 2
