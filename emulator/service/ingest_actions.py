"""Acting as an RTMP(S) encoder: start and stop publishing with an ingest configuration's key.

There is no media here: `start` is what the stage does when an encoder connects with a stream
key, `stop` what it does when the encoder disconnects (choice C43 in
contract/README.md). The stream key's `rt_<account>_<region>_<id>_<secret>` chooses the account,
region and configuration; the whole key must equal the configuration's stream key or its
redundant one. Starting joins the configuration's stage as the key's participant (protocol
RTMP or RTMPS, the configuration's user id and attributes) and publishes: JOINED,
PUBLISH_STARTED, and the configuration is ACTIVE. Stopping leaves: PUBLISH_STOPPED, LEFT,
INACTIVE. The HTTP side is emulator/controls/views/stage_client.py.

A stream key is a secret: no refusal repeats it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..state.store import IngestConfigurationRecord, ParticipantRecord
from . import live_sessions
from .context import Backend, Context
from .ingest_configurations import publishers, summarise_ingest_configuration
from .stage_actions import ClientDenied, DenialKind, participant_view
from .transactions import transaction

STREAM_KEY = re.compile(
    r"rt_(?P<account>[0-9]+)_(?P<region>[a-z0-9-]+)_(?P<id>[a-zA-Z0-9-]+)_(?P<secret>.+)"
)


@dataclass(frozen=True)
class KeyHolder:
    """The configuration a stream key belongs to, and the participant id it publishes as."""

    record: IngestConfigurationRecord
    participant_id: str


def start(backend: Backend, stream_key: str) -> dict[str, Any]:
    """Join the configuration's stage as the key's participant and publish."""
    with _configuration(backend, stream_key, "ingest.start") as (context, holder):
        record = holder.record
        if not record.stage_arn:
            raise ClientDenied(
                DenialKind.REFUSED,
                "stage_not_associated",
                f"ingest configuration {record.arn} is associated with no stage (its stageArn "
                "is empty); set one with UpdateIngestConfiguration",
            )
        stage = context.state.stages.get(record.stage_arn)
        if stage is None:
            raise ClientDenied(
                DenialKind.REFUSED,
                "stage_not_found",
                f"stage not found: {record.stage_arn} (the stage of ingest configuration "
                f"{record.arn}; it may have been deleted)",
            )
        if live_sessions.connected_participant(stage, holder.participant_id) is not None:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "already_publishing",
                f"participant {holder.participant_id} is already connected to stage "
                f"{stage.arn}; this stream key is in use",
            )
        recording = stage.auto_participant_recording_configuration
        fresh = ParticipantRecord(
            participant_id=holder.participant_id,
            user_id=record.user_id or None,
            attributes=dict(record.attributes or {}),
            can_publish=True,
            can_subscribe=False,
            token_digest="",  # no token: only the stream key acts for this participant
            recorded=bool(recording.get("storageConfigurationArn")),
            first_join_time=context.now,
            sequence=context.state.next_sequence(),
            protocol=record.ingest_protocol,
            ingest_configuration_arn=record.arn,
            redundant_ingest=record.redundant_ingest,
        )
        session, participant = live_sessions.connect(context, stage, fresh)
        live_sessions.start_publishing(context, participant)
        return _view(context, holder, participant_view(stage, session, participant))


def stop(backend: Backend, stream_key: str) -> dict[str, Any]:
    """Stop publishing and leave the stage."""
    with _configuration(backend, stream_key, "ingest.stop") as (context, holder):
        found = [
            publisher
            for publisher in publishers(context, holder.record)
            if publisher[2].participant_id == holder.participant_id
        ]
        if not found:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "not_publishing",
                f"nothing publishes with this stream key of ingest configuration "
                f"{holder.record.arn} now",
            )
        stage, session, participant = found[0]
        live_sessions.leave(context, stage, session, participant)
        return _view(context, holder, participant_view(stage, session, participant))


@contextmanager
def _configuration(
    backend: Backend, stream_key: str, action: str
) -> Iterator[tuple[Context, KeyHolder]]:
    """The key's account and region as one write (service/transactions.py), and its holder."""
    match = STREAM_KEY.fullmatch(stream_key)
    if match is None:
        raise ClientDenied(
            DenialKind.REFUSED,
            "invalid_stream_key",
            "not an IVS real-time stream key (rt_<account>_<region>_<id>_<secret>)",
        )
    account, region = match["account"], match["region"]
    with transaction(backend, account, region, action, {"streamKey": stream_key}) as context:
        record = context.state.ingest_configurations.get(
            context.arn("ingest-configuration", match["id"])
        )
        holder = None if record is None else _holder(record, stream_key)
        if holder is None:
            raise ClientDenied(
                DenialKind.REFUSED,
                "invalid_stream_key",
                f"no ingest configuration of account {account} in region {region} has this "
                "stream key (it may have been deleted)",
            )
        yield context, holder


def _holder(record: IngestConfigurationRecord, stream_key: str) -> KeyHolder | None:
    given = stream_key.encode("utf-8", "surrogatepass")
    keys = [(record.participant_id, record.stream_key), *record.redundant_credentials]
    for participant_id, key in keys:
        if hmac.compare_digest(given, key.encode()):
            return KeyHolder(record, participant_id)
    return None


def _view(context: Context, holder: KeyHolder, view: dict[str, Any]) -> dict[str, Any]:
    """The participant's view, with the configuration's summary (its state) beside it."""
    return {**view, "ingestConfiguration": summarise_ingest_configuration(context, holder.record)}
