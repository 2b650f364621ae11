"""Events delivered to webhooks: each POSTed as JSON in the background, retried while the
receiver fails, and never in the way of an API call (emulator/events/delivery.py and
targets.py, choice C66 in contract/README.md)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from event_helpers import act, call, events, new_stage, token
from flask import Flask
from flask.testing import FlaskClient

from emulator import Config, create_app
from emulator.controls.clock import FixedClock
from emulator.events.delivery import Delivery
from emulator.http.app import emulator_of
from emulator.http.cli import load_config

WAIT = 15.0


class Receiver:
    """A webhook on loopback: records what it is POSTed, answering `statuses` first (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.received.append(json.loads(body))
                    receiver.content_types.append(self.headers["Content-Type"])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ivs-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


def emulator(clock: FixedClock, *webhooks: str, seed: int | None = None) -> Flask:
    return create_app(Config(events_webhook=webhooks, seed=seed), clock=clock)


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT} s: {what}"
        time.sleep(0.02)


def deliveries(client: FlaskClient) -> list[dict[str, Any]]:
    return list(client.get("/_emulator/events/deliveries").get_json()["deliveries"])


def publish_and_unpublish(client: FlaskClient) -> None:
    alice = token(client, new_stage(client), userId="alice")
    act(client, "join", alice["token"])
    act(client, "publish", alice["token"])
    act(client, "unpublish", alice["token"])


def test_every_webhook_receives_each_event_as_json_in_order(
    clock: FixedClock, receivers: Callable[..., Receiver]
) -> None:
    first, second = receivers(), receivers()
    app = emulator(clock, first.url, second.url)
    client = app.test_client()
    publish_and_unpublish(client)
    for receiver in (first, second):
        until(lambda r=receiver: len(r.received) == 2, "both events received")  # type: ignore[misc]
        assert receiver.received == events(client)
        assert receiver.content_types == ["application/json"] * 2
    assert [d["delivered"] for d in deliveries(client)] == [2, 2]
    emulator_of(app).events.close()


def test_a_receiver_that_fails_gets_the_event_once_it_recovers(
    clock: FixedClock, receivers: Callable[..., Receiver]
) -> None:
    flaky = receivers([500, 503])
    app = emulator(clock, flaky.url)
    client = app.test_client()
    publish_and_unpublish(client)
    until(lambda: len(flaky.received) == 2, "both events received after the retries")
    assert flaky.received == events(client)  # in order, the first one retried twice
    assert flaky.attempts == 4
    (stats,) = deliveries(client)
    assert (stats["delivered"], stats["retries"], stats["failed"], stats["queued"]) == (2, 2, 0, 0)
    assert [e["error"] for e in stats["lastErrors"]] == [
        "HTTP 500 Internal Server Error", "HTTP 503 Service Unavailable"
    ]
    assert [e["attempt"] for e in stats["lastErrors"]] == [1, 2]
    assert stats["target"] == f"webhook {flaky.url}"
    emulator_of(app).events.close()


def test_an_unreachable_webhook_changes_no_api_answer(clock: FixedClock) -> None:
    def session(app: Flask) -> list[tuple[int, Any]]:
        client = app.test_client()
        answers = []
        stage = client.post("/CreateStage", json={"name": "s"})
        arn = stage.get_json()["stage"]["arn"]
        issued = client.post("/CreateParticipantToken", json={"stageArn": arn, "userId": "u"})
        participant = issued.get_json()["participantToken"]
        for action in ("join", "publish", "unpublish", "leave"):
            started = time.monotonic()
            answer = client.post(f"/_emulator/stage/{action}", json={"token": participant["token"]})
            assert time.monotonic() - started < 0.5
            answers.append((answer.status_code, answer.get_json()))
        listed = client.post("/ListParticipantEvents", json={
            "stageArn": arn, "sessionId": answers[0][1]["session"]["sessionId"],
            "participantId": participant["participantId"]})
        answers += [(stage.status_code, stage.get_json()), (listed.status_code, listed.get_json())]
        return answers

    unreachable = emulator(clock, closed_port_url(), seed=11)
    assert session(unreachable) == session(emulator(FixedClock(clock.now()), seed=11))
    client = unreachable.test_client()
    until(lambda: deliveries(client)[0]["lastErrors"] != [], "a failed attempt recorded")
    assert "cannot reach" in deliveries(client)[0]["lastErrors"][0]["error"]
    emulator_of(unreachable).events.close()


class Refusing:
    """A target that never takes an event."""

    name = "refusing"

    def __init__(self) -> None:
        self.calls = 0

    def deliver(self, event: dict[str, Any]) -> None:
        self.calls += 1
        raise ConnectionError("nobody home")


def test_an_event_the_target_never_takes_counts_as_failed_after_the_last_attempt() -> None:
    target = Refusing()
    delivery = Delivery(target, attempts=3, first_pause=0.01)
    delivery.offer({"id": "e1"})
    until(lambda: delivery.stats()["failed"] == 1, "the event given up")
    stats = delivery.stats()
    assert (target.calls, stats["retries"], stats["delivered"]) == (3, 2, 0)
    assert [e["gaveUp"] for e in stats["lastErrors"]] == [False, False, True]
    assert stats["lastErrors"][-1] == {**stats["lastErrors"][-1], "eventId": "e1",
                                        "error": "nobody home", "attempt": 3}
    delivery.close()


def test_a_full_queue_drops_the_event_and_counts_it() -> None:
    release = threading.Event()

    class Slow:
        name = "slow"

        def deliver(self, event: dict[str, Any]) -> None:
            release.wait(WAIT)

    delivery = Delivery(Slow(), capacity=1)
    delivery.offer({"id": "being sent"})
    until(lambda: delivery.stats()["queued"] == 1 and delivery.idle() is False, "sending")
    until(lambda: delivery._queue.empty(), "the first event taken")
    delivery.offer({"id": "queued"})
    delivery.offer({"id": "dropped"})
    stats = delivery.stats()
    assert stats["dropped"] == 1
    assert stats["lastErrors"][-1]["eventId"] == "dropped"
    release.set()
    until(lambda: delivery.stats()["delivered"] == 2, "the two kept events delivered")
    delivery.close()


def test_webhooks_from_repeated_flags_and_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flags = ["--events-webhook", "http://127.0.0.1:1/a", "--events-webhook", "http://h:2/b"]
    assert load_config(flags).events_webhook == ("http://127.0.0.1:1/a", "http://h:2/b")
    monkeypatch.setenv("IVS_EMULATOR_EVENTS_WEBHOOK", "http://a:1/x, https://b/y")
    assert load_config([]).events_webhook == ("http://a:1/x", "https://b/y")


@pytest.mark.parametrize(
    "argv",
    [["--events-webhook", "ftp://host/x"], ["--eventbridge-endpoint", "localhost:4566"],
     ["--events-size", "-1"]],
)
def test_bad_event_settings_are_refused_at_start(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        load_config(argv)


def test_an_eventbridge_endpoint_without_boto3_is_a_clear_start_up_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "boto3", None)
    with pytest.raises(SystemExit):
        load_config(["--eventbridge-endpoint", "http://127.0.0.1:4566"])
    assert "pip install 'ivs-realtime-emulator[events]'" in capsys.readouterr().err


def test_delivery_stats_are_empty_without_targets(client: FlaskClient) -> None:
    call(client, "CreateStage", {"name": "s"})
    assert deliveries(client) == []
