"""Load without loss (issue 14, point 6): 16 threads mix creates, tokens, tags, deletes, list
paging and join/publish/leave against one live server; afterwards nothing acknowledged is lost
or duplicated, and no listing repeated or skipped a stage while others changed the list.

Four accounts, four threads each: threads of one account contend for one region's lock. Each
thread owns the stages it creates, so what it expects of them is exact; the paging check
covers every thread's stages of the account.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator import Config, create_app
from emulator.testing import LiveServer

THREADS = 16
STEPS = 45
ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")
PAGE = 3


class Client:
    """One keep-alive connection; an account's SigV4 scope on every API call."""

    def __init__(self, url: str, account: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.authorization = (
            f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/ivs/aws4_request, "
            "SignedHeaders=host, Signature=00"
        )

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Authorization": self.authorization}
        self.connection.request("POST", path, json.dumps(body), headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def ok(self, path: str, body: dict[str, Any]) -> Any:
        status, answer = self.post(path, body)
        assert status == 200, (path, body, status, answer)
        return answer


@dataclass
class Ledger:
    """What the server acknowledged, and when (monotonic seconds), shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[str, float] = field(default_factory=dict)
    """Stage ARN -> when its CreateStage was answered."""
    delete_sent: dict[str, float] = field(default_factory=dict)
    """Stage ARN -> when its DeleteStage was sent."""
    walks: list[tuple[str, float, float, list[str]]] = field(default_factory=list)
    """(account, start, end, ARNs in the order the pages listed them)."""


@dataclass
class Owned:
    """A thread's own stages: their tags, tokens, and the participant actions acknowledged."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    """Stage ARN -> participant id -> token."""
    joined: set[str] = field(default_factory=set)
    publishing: set[str] = field(default_factory=set)
    events: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(participant id, event name) -> acknowledged count."""
    deleted: set[str] = field(default_factory=set)


def worker(url: str, index: int, ledger: Ledger, owned: Owned, errors: list[str]) -> None:
    account = ACCOUNTS[index % len(ACCOUNTS)]
    client = Client(url, account)
    rng = random.Random(index)
    try:
        for step in range(STEPS):
            live = sorted(owned.tags)
            roll = rng.random()
            if not live or roll < 0.2:
                tags = {"owner": str(index), "step": str(step)}
                arn = client.ok("/CreateStage", {"name": f"t{index}-{step}", "tags": tags})
                arn = arn["stage"]["arn"]
                with ledger.lock:
                    ledger.created[arn] = time.monotonic()
                owned.tags[arn] = tags
                owned.tokens[arn] = {}
            elif roll < 0.35:
                arn = rng.choice(live)
                token = client.ok("/CreateParticipantToken", {"stageArn": arn})
                token = token["participantToken"]
                owned.tokens[arn][token["participantId"]] = token["token"]
            elif roll < 0.45:
                arn = rng.choice(live)
                client.ok(f"/tags/{arn.replace('/', '%2F')}", {"tags": {"step": str(step)}})
                owned.tags[arn]["step"] = str(step)
            elif roll < 0.5:
                arn = rng.choice(live)
                with ledger.lock:
                    ledger.delete_sent[arn] = time.monotonic()
                client.ok("/DeleteStage", {"arn": arn})
                del owned.tags[arn]
                owned.deleted.add(arn)
            elif roll < 0.65:
                walk(client, account, ledger)
            else:
                act(client, rng, owned)
    except Exception as error:  # reported by the test, with the thread that met it
        errors.append(f"thread {index}: {error!r}")


def walk(client: Client, account: str, ledger: Ledger) -> None:
    start = time.monotonic()
    seen: list[str] = []
    token: str | None = None
    while True:
        body: dict[str, Any] = {"maxResults": PAGE}
        if token:
            body["nextToken"] = token
        page = client.ok("/ListStages", body)
        seen += [stage["arn"] for stage in page["stages"]]
        token = page.get("nextToken")
        if not token:
            break
    with ledger.lock:
        ledger.walks.append((account, start, time.monotonic(), seen))


def act(client: Client, rng: random.Random, owned: Owned) -> None:
    """Join, publish or leave with a token of one of the thread's live stages."""
    choices = [(arn, pid) for arn in sorted(owned.tags) for pid in owned.tokens[arn]]
    if not choices:
        return
    arn, participant = rng.choice(choices)
    token = owned.tokens[arn][participant]
    if participant not in owned.joined:
        action, event = "join", "JOINED"
    elif participant not in owned.publishing and rng.random() < 0.6:
        action, event = "publish", "PUBLISH_STARTED"
    else:
        action, event = "leave", "LEFT"
    status, answer = client.post(f"/_emulator/stage/{action}", {"token": token})
    assert status == 200, (action, status, answer)
    owned.events[(participant, event)] += 1
    if action == "join":
        owned.joined.add(participant)
    elif action == "publish":
        owned.publishing.add(participant)
    else:
        owned.joined.discard(participant)
        owned.publishing.discard(participant)


def pages(client: Client) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        body: dict[str, Any] = {"maxResults": 100, **({"nextToken": token} if token else {})}
        page = client.ok("/ListStages", body)
        yield from page["stages"]
        token = page.get("nextToken")
        if not token:
            return


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[LiveServer, Ledger, list[Owned], list[str], float]]:
    app = create_app(Config(stage_quota=10**6))
    with LiveServer(app) as server:
        ledger, errors = Ledger(), []
        owned = [Owned() for _ in range(THREADS)]
        threads = [
            threading.Thread(target=worker, args=(server.url, i, ledger, owned[i], errors))
            for i in range(THREADS)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        yield server, ledger, owned, errors, time.monotonic() - started


def test_every_thread_finished_and_every_call_was_acknowledged(loaded: Any) -> None:
    _, ledger, owned, errors, seconds = loaded
    assert errors == []
    assert seconds < 60
    assert len(ledger.created) > THREADS and len(ledger.walks) > THREADS


def test_no_acknowledged_stage_is_lost_duplicated_or_resurrected(loaded: Any) -> None:
    server, _, owned, _, _ = loaded
    for position, account in enumerate(ACCOUNTS):
        listed = [stage["arn"] for stage in pages(Client(server.url, account))]
        expected = {
            arn
            for i, mine in enumerate(owned)
            if i % len(ACCOUNTS) == position
            for arn in mine.tags
        }
        assert len(listed) == len(set(listed)), f"a stage listed twice for {account}"
        assert set(listed) == expected


def test_every_stage_has_the_tags_last_acknowledged(loaded: Any) -> None:
    server, _, owned, _, _ = loaded
    for index, mine in enumerate(owned):
        client = Client(server.url, ACCOUNTS[index % len(ACCOUNTS)])
        for arn, tags in mine.tags.items():
            assert client.ok("/GetStage", {"arn": arn})["stage"]["tags"] == tags


def test_every_acknowledged_token_and_participant_event_is_kept_once(loaded: Any) -> None:
    server, _, owned, _, _ = loaded
    for position, account in enumerate(ACCOUNTS):
        connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=30)
        connection.request("GET", f"/_emulator/state?account={account}")
        (region,) = json.loads(connection.getresponse().read())["regions"]
        events: Counter[tuple[str, str]] = Counter()
        for stage in region["stages"].values():
            for session in stage["sessions"].values():
                for participant_id, participant in session["participants"].items():
                    for event in participant["events"]:
                        events[(participant_id, event["name"])] += 1
        tokens = defaultdict(set)
        for participant_id, token in region["tokens"].items():
            tokens[token["stage_arn"]].add(participant_id)
        for index, mine in enumerate(owned):
            if index % len(ACCOUNTS) != position:
                continue
            for arn in mine.tags:
                assert tokens[arn] == set(mine.tokens[arn])
                for participant_id in mine.tokens[arn]:
                    for name in ("JOINED", "PUBLISH_STARTED", "LEFT"):
                        key = (participant_id, name)
                        assert events[key] == mine.events[key], key


def test_paging_under_concurrent_changes_neither_repeats_nor_skips(loaded: Any) -> None:
    _, ledger, owned, _, _ = loaded
    account_of = {}
    for index, mine in enumerate(owned):
        for arn in [*mine.tags, *mine.deleted]:
            account_of[arn] = ACCOUNTS[index % len(ACCOUNTS)]
    for account, start, end, seen in ledger.walks:
        assert len(seen) == len(set(seen)), "a listing repeated a stage"
        there_throughout = {
            arn
            for arn, created in ledger.created.items()
            if account_of[arn] == account
            and created < start
            and ledger.delete_sent.get(arn, float("inf")) > end
        }
        assert there_throughout <= set(seen), "a listing skipped a stage"
