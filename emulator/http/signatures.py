"""SigV4 verification of API requests, as AWS verifies them (`--verify-signatures`).

Off by default: then the Authorization header is only parsed for its account and region
(emulator/http/protocol.py). On, every API request must carry an AWS4-HMAC-SHA256
Authorization header whose credential scope names signing name `ivs`, a region of the service
and the request's date; its time must be within 5 minutes of the emulator's clock; its access
key id must be in the credentials table (emulator/http/credentials.py); and its signature must
be the one botocore's SigV4 signer computes, with that key's secret, over the same signed
headers, path, query and payload. Each refusal is the error, status and wording of choices
C49 to C52 in contract/README.md, checked in the order C48 gives.

botocore is imported only when a verifier is built; without it, building one is a clear
start-up error (install the `sigv4` extra).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Config, Credential
from ..contract.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    RequestEntityTooLargeException,
    UnrecognizedClientException,
)
from ..controls.clock import Clock
from .credentials import credential_table

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_NAME = "ivs"
ENDPOINT_PREFIX = "ivs-realtime"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=5)
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
BOTOCORE_MISSING = (
    "--verify-signatures needs botocore, which is not installed: "
    "pip install 'ivs-realtime-emulator[sigv4]' (docs/signatures.md)"
)
NO_CREDENTIALS = (
    "--verify-signatures needs at least one credential: give --credentials "
    "AKID=SECRET:123456789012 or --credentials-file PATH (docs/signatures.md)"
)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


class SignatureSetupError(ValueError):
    """Verification asked for but impossible: botocore missing, or no credentials."""


@cache
def _botocore() -> tuple[Any, Any, Any, Any]:
    """botocore's SigV4Auth subclassed to sign exactly the client's signed headers."""
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.compat import HTTPHeaders
        from botocore.credentials import Credentials
    except ImportError:
        raise SignatureSetupError(BOTOCORE_MISSING) from None

    class ClientSignedHeaders(SigV4Auth):  # type: ignore[misc]
        """SigV4Auth over the headers the client listed in SignedHeaders, no more, no less
        (botocore's own choice of headers is for signing, not for checking)."""

        def __init__(self, credentials: Any, region: str, signed: Any) -> None:
            super().__init__(credentials, SIGNING_NAME, region)
            self._signed = signed

        def headers_to_sign(self, request: Any) -> Any:
            return self._signed

    return ClientSignedHeaders, AWSRequest, HTTPHeaders, Credentials


def service_regions(default_region: str) -> frozenset[str]:
    """The regions botocore's endpoint data lists for IVS Real-Time, and the default one."""
    _botocore()  # the clear error when botocore is missing
    from botocore.session import get_session

    session = get_session()
    regions = {default_region}
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions(ENDPOINT_PREFIX, partition))
    return frozenset(regions)


def _timestamp(request: Request) -> str | None:
    """The request's time as YYYYMMDDTHHMMSSZ, from X-Amz-Date or else Date; None if absent."""
    amz_date = request.headers.get("X-Amz-Date")
    if amz_date is not None:
        value = amz_date.strip()
        try:
            if AMZ_DATE_RE.fullmatch(value):
                datetime.strptime(value, SIGV4_TIMESTAMP)
                return value
        except ValueError:
            pass
    else:
        date = request.headers.get("Date")
        if date is None:
            return None
        value = date.strip()
        try:
            return parsedate_to_datetime(value).astimezone(UTC).strftime(SIGV4_TIMESTAMP)
        except (TypeError, ValueError, OverflowError):
            pass
    raise IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _raw_paths(request: Request) -> list[str]:
    """The path as the client sent it (still percent-encoded), which is what it signed.

    Werkzeug's server keeps it (RAW_URI). Servers that pass on only the decoded path
    (Granian) lose whether a `/` was sent as `%2F`; the SDKs encode every character of a
    label but the unreserved ones, so the candidates are: every `/` as sent, or the path
    after its first segment as one label (`/tags/<resourceArn>`, whose ARN holds `/`).
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        path = urlsplit(raw).path if "://" in raw.partition("?")[0] else raw.partition("?")[0]
        if path:
            return [path]
    candidates = [quote(request.path, safe="/~")]
    _, first, rest = request.path.split("/", 2) if request.path.count("/") >= 2 else ("", "", "")
    if "/" in rest:
        candidates.append(f"/{quote(first, safe='~')}/{quote(rest, safe='~')}")
    return candidates


def check_setup(config: Config) -> None:
    """Raise ValueError, at start-up, for a credentials file that cannot be used, or for
    verification without botocore or without credentials."""
    table = credential_table(config)
    if config.verify_signatures:
        _botocore()
        if not table:
            raise SignatureSetupError(NO_CREDENTIALS)


class SignatureVerifier:
    """Checks a request's SigV4 signature against a credentials table and a clock."""

    def __init__(
        self, credentials: Mapping[str, Credential], clock: Clock, regions: Collection[str]
    ) -> None:
        _botocore()  # fail now, at start-up, when botocore is missing
        if not credentials:
            raise SignatureSetupError(NO_CREDENTIALS)
        self.credentials = dict(credentials)
        self.clock = clock
        self.regions = frozenset(regions)

    def verify(self, request: Request) -> None:
        """Return if the request is signed as AWS would accept it; raise its error if not."""
        header = request.headers.get("Authorization")
        if header is None or not header.strip():
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        algorithm, _, rest = header.strip().partition(" ")
        params: dict[str, str] = {}
        for part in rest.split(","):
            name, eq, value = part.strip().partition("=")
            if eq:
                params[name.strip()] = value.strip()
        missing = [
            f"Authorization header requires '{name}' parameter. "
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        has_date = "X-Amz-Date" in request.headers or "Date" in request.headers
        if not has_date:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header. "
            )
        if missing:
            raise IncompleteSignatureException("".join(missing) + f"Authorization={header}")
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM}). "
                f"Authorization={header}"
            )
        credential = params["Credential"]
        scope = credential.split("/")
        if len(scope) != 5:
            raise IncompleteSignatureException(
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{credential}'"
            )
        key, scope_date, region, service, terminator = scope
        timestamp = _timestamp(request)
        assert timestamp is not None  # has_date
        self._check_scope(scope_date, region, service, terminator, timestamp)
        self._check_time(timestamp)
        secret = self.credentials.get(key)
        if secret is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        signed = [name.strip().lower() for name in params["SignedHeaders"].split(";")]
        if "host" not in signed and ":authority" not in signed:
            raise InvalidSignatureException(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            )
        body = self._body(request)
        content_sha256 = request.headers.get("X-Amz-Content-SHA256")
        if content_sha256 is not None and content_sha256 != hashlib.sha256(body).hexdigest():
            raise InvalidSignatureException(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        self._check_signature(request, body, signed, secret, key, region, timestamp, params)

    def _check_scope(
        self, scope_date: str, region: str, service: str, terminator: str, timestamp: str
    ) -> None:
        if region not in self.regions:
            raise InvalidSignatureException(
                f"Credential should be scoped to a valid region, not '{region}'. "
            )
        if service != SIGNING_NAME:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SIGNING_NAME}'. "
            )
        if terminator != TERMINATOR:
            raise InvalidSignatureException(
                f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
                f"not '{terminator}'. "
            )
        if scope_date != timestamp[:8]:
            raise InvalidSignatureException(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{scope_date}' != '{timestamp[:8]}', from '{timestamp}'."
            )

    def _check_time(self, timestamp: str) -> None:
        signed_at = datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        now = self.clock.now().astimezone(UTC)

        def basic(moment: datetime) -> str:
            return moment.strftime(SIGV4_TIMESTAMP)

        if signed_at < now - MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {timestamp} is now earlier than {basic(now - MAX_SKEW)} "
                f"({basic(now)} - 5 min.)"
            )
        if signed_at > now + MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature not yet current: {timestamp} is still later than "
                f"{basic(now + MAX_SKEW)} ({basic(now)} + 5 min.)"
            )

    @staticmethod
    def _body(request: Request) -> bytes:
        try:
            return request.get_data(cache=True)  # kept for read_input
        except RequestEntityTooLarge:
            raise RequestEntityTooLargeException(
                f"The request body is larger than {request.max_content_length} bytes"
            ) from None

    @staticmethod
    def _check_signature(
        request: Request,
        body: bytes,
        signed: list[str],
        credential: Credential,
        key: str,
        region: str,
        timestamp: str,
        params: Mapping[str, str],
    ) -> None:
        """botocore's signature over the same request and signed headers, compared in
        constant time."""
        signer_class, aws_request_class, headers_class, credentials_class = _botocore()
        headers = headers_class()
        for name in signed:
            for value in request.headers.getlist(name) or [""]:
                headers[name] = value
        signer = signer_class(credentials_class(key, credential.secret), region, headers)
        query = request.query_string.decode("latin-1")
        provided = params["Signature"].encode("utf-8", errors="replace")
        first: tuple[str, str] | None = None
        for path in _raw_paths(request):
            url = "http://emulator" + path + (f"?{query}" if query else "")
            aws_request = aws_request_class(
                method=request.method, url=url, headers=dict(headers.items()), data=body
            )
            aws_request.context["timestamp"] = timestamp
            canonical: str = signer.canonical_request(aws_request)
            string_to_sign: str = signer.string_to_sign(aws_request, canonical)
            expected: str = signer.signature(string_to_sign, aws_request)
            if hmac.compare_digest(expected.encode("utf-8"), provided):
                return
            first = first or (canonical, string_to_sign)
        assert first is not None
        raise InvalidSignatureException(
            f"{MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{first[0]}'\n\nThe String-to-Sign should have been\n'{first[1]}'\n"
        )
