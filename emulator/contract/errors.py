"""Typed errors: one class per error shape of the model, plus the protocol's own.

Services raise these; `protocol.error_response` is the one place that turns them into
HTTP responses. Status codes of modelled errors come from the contract; the `status`
attribute here is only used for errors the model does not define.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Root of every error the emulator answers with."""

    status: int = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return type(self).__name__


# Error shapes of the model, named exactly as the shapes.
class ValidationException(ServiceError):
    status = 400


class AccessDeniedException(ServiceError):
    status = 403


class PendingVerification(ServiceError):
    status = 403


class ResourceNotFoundException(ServiceError):
    status = 404


class ConflictException(ServiceError):
    status = 409


class ServiceQuotaExceededException(ServiceError):
    status = 402


class InternalServerException(ServiceError):
    status = 500


# Errors of the protocol layer, which the model does not define (choice C8 in contract/README.md).
class SerializationException(ServiceError):
    status = 400


class UnknownOperationException(ServiceError):
    status = 404


class RequestEntityTooLargeException(ServiceError):
    status = 413


class ThrottlingException(ServiceError):
    """Too many requests. Not in the model, but what the SDKs' retry logic looks for (status
    429, `x-amzn-ErrorType: ThrottlingException`); raised only by an injected fault (C32)."""

    status = 429


# Errors of request authentication, answered only with --verify-signatures
# (choices C48 to C52 in contract/README.md).
class MissingAuthenticationTokenException(ServiceError):
    status = 403


class IncompleteSignatureException(ServiceError):
    status = 400


class UnrecognizedClientException(ServiceError):
    status = 403


class InvalidSignatureException(ServiceError):
    status = 403


class UnsupportedOperationException(ServiceError):
    """An operation of the contract that this emulator does not emulate yet."""

    status = 501


MODELLED: dict[str, type[ServiceError]] = {
    cls.__name__: cls
    for cls in (
        ValidationException,
        AccessDeniedException,
        PendingVerification,
        ResourceNotFoundException,
        ConflictException,
        ServiceQuotaExceededException,
        InternalServerException,
    )
}

INJECTABLE: dict[str, type[ServiceError]] = {**MODELLED, "ThrottlingException": ThrottlingException}
"""Errors a fault may inject (emulator/controls/faults.py): the modelled ones, where the
operation models them, and InternalServerException and ThrottlingException on every
operation (choice C32)."""
