"""Acting as a stage client: join, leave, publish, unpublish, subscribe and unsubscribe.

There is no media here: each action is what a stage client's SDK would do, named by the
participant token it joined with, and it changes the session as the real stage would
(service/live_sessions.py) so that the control plane (GetParticipant, ListParticipantEvents, ...)
sees it. The HTTP side is emulator/controls/views/stage_client.py.

A join is judged as the stage judges it: service/admission.check_token, plus two checks run
last (JOIN_CHECKS): the participant was not removed from that stage by DisconnectParticipant,
and its token was not revoked by RevokeConnectionToken. The other actions need the very token
the participant is connected with; its expiry is not judged again, a token being needed only
to join (choice C31 in contract/README.md).

Whatever the stage would not do raises ClientDenied: a machine-readable `error` (an
admission.Problem value for a refused token), a readable `reason`, and a `kind` that the
HTTP side turns into a status.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from ..state.store import ParticipantRecord, StageRecord, StageSessionRecord
from ..tokens import TokenError, unverified_claims
from . import live_sessions
from .admission import (
    AdmissionCheck,
    AdmittedToken,
    Problem,
    Refusal,
    check_token,
    token_scope,
)
from .context import Backend, Context
from .participants import describe_participant, describe_session
from .transactions import transaction

PARTICIPANT_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class DenialKind(StrEnum):
    """What kind of refusal: the HTTP side answers 400, 403, 404 and 409 for them."""

    INVALID = "invalid"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"


class ClientDenied(Exception):
    """An action the stage does not carry out, and why."""

    def __init__(self, kind: DenialKind, error: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.error = error
        self.reason = reason


# -- the checks a join adds to admission -------------------------------------------------------


def not_disconnected(context: Context, token: AdmittedToken) -> Refusal | None:
    """Refuse a participant id that DisconnectParticipant removed from this stage (C29)."""
    reason = token.stage.disconnected_participants.get(token.participant_id)
    if reason is None:
        return None
    given = f" (reason: {reason})" if reason else ""
    return Refusal(
        Problem.PARTICIPANT_DISCONNECTED,
        f"participant {token.participant_id} was disconnected from stage {token.stage.arn} by "
        f"DisconnectParticipant{given} and cannot join it again",
    )


def not_revoked(context: Context, token: AdmittedToken) -> Refusal | None:
    """Refuse a token whose id (its jti) RevokeConnectionToken revoked in this region (C30)."""
    if token.participant_id not in context.state.revoked_tokens:
        return None
    return Refusal(
        Problem.TOKEN_REVOKED,
        f"token {token.participant_id} was revoked by RevokeConnectionToken",
    )


JOIN_CHECKS: tuple[AdmissionCheck, ...] = (not_disconnected, not_revoked)


# -- actions ------------------------------------------------------------------------------------


def join(backend: Backend, token: str, *, take_over: bool = False) -> dict[str, Any]:
    """Join the stage the token names; the first join starts the stage's session.

    With `take_over`, a participant already connected with the same id leaves first (LEFT,
    then JOINED, in the same session): a second join with the same id replaces the first (the
    data plane's TOKEN_REUSED); without it, that is refused.
    """
    arguments = {"token": token, **({"takeOver": "true"} if take_over else {})}
    with _region(backend, token, "stage.join", arguments) as context:
        admitted = check_token(context, token, JOIN_CHECKS)
        if isinstance(admitted, Refusal):
            raise ClientDenied(DenialKind.REFUSED, admitted.problem.value, admitted.reason)
        stage = admitted.stage
        connected = live_sessions.connected_participant(stage, admitted.participant_id)
        if connected is not None and take_over:
            live_sessions.leave(context, stage, *connected, rejoining=True)
        elif connected is not None:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "already_joined",
                f"participant {admitted.participant_id} is already connected to stage "
                f"{stage.arn}; leave first",
            )
        session, participant = live_sessions.connect(
            context, stage, _fresh(context, admitted, token)
        )
        return participant_view(stage, session, participant)


def leave(backend: Backend, token: str) -> dict[str, Any]:
    """Leave the stage: publishing and subscriptions stop; the last one out ends the session."""
    with _region(backend, token, "stage.leave", {"token": token}) as context:
        stage, session, participant = _connected(context, token)
        live_sessions.leave(context, stage, session, participant)
        return participant_view(stage, session, participant)


def publish(backend: Backend, token: str) -> dict[str, Any]:
    """Start publishing; a token without allow_publish records PUBLISH_ERROR and is refused."""
    with _region(backend, token, "stage.publish", {"token": token}) as context:
        stage, session, participant = _connected(context, token)
        if not participant.can_publish:
            live_sessions.record_event(
                context, participant, "PUBLISH_ERROR", error_code="INSUFFICIENT_CAPABILITIES"
            )
            raise ClientDenied(
                DenialKind.REFUSED,
                "insufficient_capabilities",
                f"participant {participant.participant_id}'s token does not allow publishing "
                "(PUBLISH_ERROR INSUFFICIENT_CAPABILITIES recorded)",
            )
        if participant.publishing:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "already_publishing",
                f"participant {participant.participant_id} is already publishing",
            )
        live_sessions.start_publishing(context, participant)
        return participant_view(stage, session, participant)


def unpublish(backend: Backend, token: str) -> dict[str, Any]:
    """Stop publishing; the subscriptions to this participant stop too."""
    with _region(backend, token, "stage.unpublish", {"token": token}) as context:
        stage, session, participant = _connected(context, token)
        if not participant.publishing:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "not_publishing",
                f"participant {participant.participant_id} is not publishing",
            )
        live_sessions.stop_publishing(context, session, participant)
        return participant_view(stage, session, participant)


def subscribe(backend: Backend, token: str, publisher_id: str) -> dict[str, Any]:
    """Subscribe to a publishing participant of the same session.

    A token without allow_subscribe records SUBSCRIBE_ERROR INSUFFICIENT_CAPABILITIES; a
    publisher that is not publishing there records SUBSCRIBE_ERROR PUBLISHER_NOT_FOUND.
    """
    with _region(
        backend, token, "stage.subscribe", {"token": token, "publisherId": publisher_id}
    ) as context:
        stage, session, participant = _connected(context, token)
        _check_publisher_id(participant, publisher_id)
        if not participant.can_subscribe:
            live_sessions.record_event(
                context,
                participant,
                "SUBSCRIBE_ERROR",
                remote_participant_id=publisher_id,
                error_code="INSUFFICIENT_CAPABILITIES",
            )
            raise ClientDenied(
                DenialKind.REFUSED,
                "insufficient_capabilities",
                f"participant {participant.participant_id}'s token does not allow subscribing "
                "(SUBSCRIBE_ERROR INSUFFICIENT_CAPABILITIES recorded)",
            )
        publisher = session.participants.get(publisher_id)
        if (
            publisher is None
            or publisher.state != live_sessions.CONNECTED
            or not publisher.publishing
        ):
            live_sessions.record_event(
                context,
                participant,
                "SUBSCRIBE_ERROR",
                remote_participant_id=publisher_id,
                error_code="PUBLISHER_NOT_FOUND",
            )
            raise ClientDenied(
                DenialKind.NOT_FOUND,
                "publisher_not_found",
                f"participant {publisher_id} is not publishing in session {session.session_id} "
                "(SUBSCRIBE_ERROR PUBLISHER_NOT_FOUND recorded)",
            )
        if publisher_id in participant.subscriptions:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "already_subscribed",
                f"participant {participant.participant_id} is already subscribed to {publisher_id}",
            )
        live_sessions.subscribe(
            context,
            participant,
            publisher_id,
            remote_replica=publisher.replication_type == live_sessions.REPLICA,
        )
        return participant_view(stage, session, participant)


def unsubscribe(backend: Backend, token: str, publisher_id: str) -> dict[str, Any]:
    """Stop a subscription."""
    with _region(
        backend, token, "stage.unsubscribe", {"token": token, "publisherId": publisher_id}
    ) as context:
        stage, session, participant = _connected(context, token)
        _check_publisher_id(participant, publisher_id)
        if publisher_id not in participant.subscriptions:
            raise ClientDenied(
                DenialKind.CONFLICT,
                "not_subscribed",
                f"participant {participant.participant_id} is not subscribed to {publisher_id}",
            )
        publisher = session.participants.get(publisher_id)
        live_sessions.unsubscribe(
            context,
            participant,
            publisher_id,
            remote_replica=publisher is not None
            and publisher.replication_type == live_sessions.REPLICA,
        )
        return participant_view(stage, session, participant)


# -- plumbing -----------------------------------------------------------------------------------


@contextmanager
def _region(
    backend: Backend, token: str, action: str, arguments: dict[str, str]
) -> Iterator[Context]:
    """The token's own account and region, as one write (service/transactions.py)."""
    scope = token_scope(token)
    if isinstance(scope, Refusal):
        raise ClientDenied(DenialKind.REFUSED, scope.problem.value, scope.reason)
    account, region = scope
    with transaction(backend, account, region, action, arguments) as context:
        yield context


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _fresh(context: Context, admitted: AdmittedToken, token: str) -> ParticipantRecord:
    """The record of a participant joining with this token for the first time."""
    recording = admitted.stage.auto_participant_recording_configuration
    return ParticipantRecord(
        participant_id=admitted.participant_id,
        user_id=admitted.user_id,
        attributes=admitted.attributes,
        can_publish=admitted.can_publish,
        can_subscribe=admitted.can_subscribe,
        token_digest=_digest(token),
        recorded=bool(recording.get("storageConfigurationArn")),
        first_join_time=context.now,
        sequence=context.state.next_sequence(),
    )


def _connected(
    context: Context, token: str
) -> tuple[StageRecord, StageSessionRecord, ParticipantRecord]:
    """The stage, session and participant connected with exactly this token."""
    try:
        claims = unverified_claims(token)
    except TokenError as error:  # token_scope read it already; kept for safety
        raise ClientDenied(DenialKind.REFUSED, "malformed", error.reason) from None
    jti, resource = claims.get("jti"), claims.get("resource")
    stage = context.state.stages.get(resource) if isinstance(resource, str) else None
    if stage is None:
        raise ClientDenied(
            DenialKind.CONFLICT,
            "not_joined",
            f"stage not found: {resource} (it may have been deleted); nobody is connected to it",
        )
    found = live_sessions.connected_participant(stage, jti) if isinstance(jti, str) else None
    if found is None:
        removed = stage.disconnected_participants.get(jti) if isinstance(jti, str) else None
        why = "" if removed is None else " (it was disconnected by DisconnectParticipant)"
        raise ClientDenied(
            DenialKind.CONFLICT,
            "not_joined",
            f"participant {jti} is not connected to stage {stage.arn}{why}; join first",
        )
    session, participant = found
    if participant.token_digest != _digest(token):
        raise ClientDenied(
            DenialKind.REFUSED,
            "token_mismatch",
            f"participant {jti} is connected with another token; act with the token it joined with",
        )
    return stage, session, participant


def _check_publisher_id(participant: ParticipantRecord, publisher_id: str) -> None:
    if PARTICIPANT_ID.fullmatch(publisher_id) is None:
        raise ClientDenied(
            DenialKind.INVALID,
            "bad_request",
            "'publisherId' must be a participant id: 1 to 64 characters [a-zA-Z0-9-_]",
        )
    if publisher_id == participant.participant_id:
        raise ClientDenied(
            DenialKind.INVALID, "bad_request", "a participant cannot subscribe to itself"
        )


def participant_view(
    stage: StageRecord, session: StageSessionRecord, participant: ParticipantRecord
) -> dict[str, Any]:
    """What an action answers: the participant as GetParticipant has it, and its media."""
    return {
        "stageArn": stage.arn,
        "session": describe_session(session),
        "participant": describe_participant(participant),
        "publishing": participant.publishing,
        "subscriptions": list(participant.subscriptions),
    }
