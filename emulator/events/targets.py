"""The targets events are delivered to (docs/events.md, choices C66 and C67 in
contract/README.md):

- a webhook: each event POSTed as one JSON object (`--events-webhook URL`, repeatable); any 2xx
  answer delivers it;
- an EventBridge bus (`--eventbridge-endpoint URL`, `--event-bus-name`): each event sent with
  PutEvents through boto3's `events` client, so that LocalStack's or moto's EventBridge applies
  its rules and targets as it would to an event from AWS. The receiving bus writes the envelope
  itself from the entry: its own `id` and, from the credentials, `account`; `time`, `source`,
  `detail-type`, `resources`, `detail` and (by the client's region) `region` are the event's.
  AWS's own EventBridge refuses `aws.` sources in PutEvents: this is for local buses.

boto3 is imported only when an EventBridge target is built; without it, that is a clear
start-up error (install the `events` extra).
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from typing import Any

from ..config import Config
from ..contract.timestamps import parse_instant

WEBHOOK_TIMEOUT = 5.0
"""Seconds one POST to a webhook may take."""
EVENTBRIDGE_TIMEOUT = 5
BOTO3_MISSING = (
    "--eventbridge-endpoint needs boto3, which is not installed: "
    "pip install 'ivs-realtime-emulator[events]' (docs/events.md)"
)
USER_AGENT = "ivs-realtime-emulator events"


class EventsSetupError(ValueError):
    """Delivery asked for but impossible (boto3 missing for an EventBridge endpoint)."""


class DeliveryError(Exception):
    """A target answered, but did not take the event."""


def check_setup(config: Config) -> None:
    """Refuse at start-up what cannot work: an EventBridge endpoint without boto3."""
    if config.eventbridge_endpoint:
        _boto3()


class WebhookTarget:
    """POSTs each event, as JSON, to one URL."""

    def __init__(self, url: str, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    @property
    def name(self) -> str:
        return f"webhook {self.url}"

    def deliver(self, event: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(event).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"HTTP {error.code} {error.reason}") from None
        except urllib.error.URLError as error:
            raise DeliveryError(f"cannot reach {self.url}: {error.reason}") from None


class EventBridgeTarget:
    """Sends each event with PutEvents to a bus of an EventBridge at `endpoint`, through a
    client of the event's region. Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    when set, else `test`/`test` (what local buses accept)."""

    def __init__(self, endpoint: str, bus_name: str = "default") -> None:
        self.endpoint = endpoint
        self.bus_name = bus_name
        self._boto3, self._config = _boto3()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"eventbridge {self.endpoint} bus {self.bus_name}"

    def deliver(self, event: dict[str, Any]) -> None:
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event["resources"],
            "Time": parse_instant(event["time"]),
            "EventBusName": self.bus_name,
        }
        answer = self._client(event["region"]).put_events(Entries=[entry])
        if answer.get("FailedEntryCount"):
            failed = answer["Entries"][0]
            raise DeliveryError(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")

    def _client(self, region: str) -> Any:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = self._clients[region] = self._boto3.session.Session().client(
                    "events",
                    endpoint_url=self.endpoint,
                    region_name=region,
                    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "test",
                    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "test",
                    aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
                    config=self._config(
                        connect_timeout=EVENTBRIDGE_TIMEOUT,
                        read_timeout=EVENTBRIDGE_TIMEOUT,
                        retries={"total_max_attempts": 1},  # the sender retries (C66)
                    ),
                )
            return client


def targets_of(config: Config) -> list[WebhookTarget | EventBridgeTarget]:
    targets: list[WebhookTarget | EventBridgeTarget] = [
        WebhookTarget(url) for url in config.events_webhook
    ]
    if config.eventbridge_endpoint:
        targets.append(EventBridgeTarget(config.eventbridge_endpoint, config.event_bus_name))
    return targets


def _boto3() -> tuple[Any, Any]:
    try:
        import boto3
        from botocore.config import Config as BotocoreConfig
    except ImportError:
        raise EventsSetupError(BOTO3_MISSING) from None
    return boto3, BotocoreConfig
