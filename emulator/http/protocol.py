"""The REST-JSON protocol: from an HTTP request to an operation call, and back.

The request travels one straight line here: find the operation from method and path in the
contract, read its input from body, path and query, learn the caller from the SigV4 header,
let the per-account behaviours refuse it (or an injected fault fail it), validate it, call the
service, and serialise the result. Every error, expected or not, leaves through
`error_response`. Each request makes one RequestRecord: its log line and its journal entry
(emulator/controls/journal.py; never a body, token, key or header).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Request, Response
from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Config
from ..contract.errors import (
    InternalServerException,
    RequestEntityTooLargeException,
    SerializationException,
    ServiceError,
    UnknownOperationException,
)
from ..contract.model import Contract, Operation
from ..contract.timestamps import format_instant
from ..contract.validation import Validator
from ..controls.behaviours import Behaviours
from ..controls.ids import IdGenerator
from ..controls.journal import Journal, RequestRecord
from ..service.dispatch import Service
from .signatures import SignatureVerifier

log = logging.getLogger("emulator.requests")

# Headers the service sends with every response (contract/README.md, fact F3).
COMMON_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "Access-Control-Allow-Origin,Access-Control-Expose-Headers,Cache-Control,Content-Length,"
        "Content-Security-Policy,Content-Type,date,Strict-Transport-Security,x-amz-apigw-id,"
        "x-amzn-errormessage,x-amzn-errortype,x-amzn-requestid,x-amzn-trace-id,"
        "X-Content-Type-Options,X-Frame-Options"
    ),
    "Cache-Control": "no-store, no-cache",
    "Content-Security-Policy": "default-src 'self'; upgrade-insecure-requests;",
    "Strict-Transport-Security": "max-age:47304000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# Bounded parts, and no '=' in the key: a garbled header (`Credential=` 2,000 times) must not
# make the search backtrack for seconds.
CREDENTIAL_RE = re.compile(
    r"Credential=(?P<key>[^/\s,=]{1,128})/(?P<date>\d{8})/(?P<region>[a-z0-9-]{1,64})"
    r"/(?P<service>[^/\s,]{1,64})/aws4_request"
)


@dataclass(frozen=True)
class Caller:
    account: str
    region: str
    access_key: str | None


def identify_caller(authorization: str | None, config: Config) -> Caller:
    """Account and region from the SigV4 credential scope; parsed, not verified.

    A 12-digit access key id is its own account; other keys map through `access_keys`;
    anything else, or no usable header, is the default account and region.
    """
    match = CREDENTIAL_RE.search(authorization or "")
    if match is None:
        return Caller(config.default_account, config.default_region, None)
    key = match["key"]
    if key in config.access_keys:
        account = config.access_keys[key]
    elif key.isascii() and key.isdigit() and len(key) == 12:
        account = key
    else:
        account = config.default_account
    return Caller(account, match["region"], key)


class Router:
    """Finds the operation a method and path name, from the contract's HTTP bindings."""

    def __init__(self, contract: Contract) -> None:
        operations = contract.operations.values()
        self.fixed = {(op.method, op.uri): op for op in operations if "{" not in op.uri}
        """Paths without a label, found by one dictionary look-up."""
        self.labelled = [(op.method, op.path_regex, op) for op in operations if "{" in op.uri]

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        operation = self.fixed.get((method, path))
        if operation is not None:
            return operation, {}
        for route_method, regex, labelled in self.labelled:
            found = regex.fullmatch(path)
            if found and route_method == method:
                return labelled, found.groupdict()
        raise UnknownOperationException(f"No operation at {method} {path}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def clean_json(value: Any) -> Any:
    """Drop null members (absent, as on AWS's JSON services) and refuse lone surrogates.

    JSON's \\uD800-style escapes can smuggle in text that is not Unicode; such a value could
    never be written back out, so it is refused here, before anything is stored.
    """
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SerializationException(
                "The request body has a string that is not valid Unicode (a lone surrogate)"
            ) from None
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON body as an object; anything else is a SerializationException."""
    if not raw.strip():
        return {}
    try:
        body = clean_json(json.loads(raw.decode("utf-8"), parse_constant=_reject_constant))
    except (ValueError, RecursionError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object")
    return body


def read_input(
    contract: Contract, operation: Operation, request: Request, labels: Mapping[str, str]
) -> dict[str, Any]:
    """Gather the operation's input members from body, path labels, query string and headers."""
    if operation.input_shape is None:
        return {}
    members, bound = contract.bindings(operation.input_shape)
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise RequestEntityTooLargeException(
            f"The request body is larger than {request.max_content_length} bytes"
        ) from None
    body = parse_body(raw)
    params = {k: v for k, v in body.items() if k not in bound}
    for member in bound:
        ref = members[member]
        location, name = ref["location"], ref.get("locationName", member)
        if location == "uri" and name in labels:
            params[member] = labels[name]
        elif location == "querystring" and name in request.args:
            many = contract.shape(ref["shape"])["type"] == "list"
            params[member] = request.args.getlist(name) if many else request.args[name]
        elif location == "header" and name in request.headers:
            params[member] = request.headers[name]
    return params


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class WrittenHeaders(Headers):
    """Response headers the emulator wrote itself (constants, request ids, error codes): taken
    as they are, without the per-header checks Werkzeug gives headers built from input."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self._list = items


_JSON_HEADERS = [("Content-Type", "application/json"), *COMMON_HEADERS.items()]


def json_response(
    body: Any, status: int, request_id: str, extra: Mapping[str, str] = {}
) -> Response:
    text = json.dumps(body, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    headers = [*_JSON_HEADERS, *extra.items(), ("x-amzn-RequestId", request_id)]
    return Response(text, status=status, headers=WrittenHeaders(headers))


def error_response(error: ServiceError, contract: Contract, request_id: str) -> Response:
    """The one place a ServiceError becomes an HTTP response (docs/architecture.md, Errors)."""
    status = contract.error_status(error.code) or error.status
    body = {"exceptionMessage": error.message, "message": error.message}
    return json_response(body, status, request_id, {"x-amzn-ErrorType": error.code})


class ApiHandler:
    """Serves every IVS Real-Time operation of the contract."""

    def __init__(
        self,
        contract: Contract,
        config: Config,
        behaviours: Behaviours,
        service: Service,
        ids: IdGenerator,
        journal: Journal | None = None,
        signatures: SignatureVerifier | None = None,
    ) -> None:
        self.contract = contract
        self.config = config
        self.behaviours = behaviours
        self.service = service
        self.ids = ids
        self.journal = journal if journal is not None else Journal(config.journal_size)
        self.router = Router(contract)
        self.validator = Validator(contract)
        self.signatures = signatures

    def __call__(self, request: Request) -> Response:
        request_id = self.ids.request_id()
        arrived = format_instant(self.service.backend.clock.now())
        started = time.perf_counter()
        operation_name = "-"
        caller = identify_caller(request.headers.get("Authorization"), self.config)
        try:
            # Authentication comes first, as on AWS: before routing, behaviours and validation
            # (choice C48); a CORS preflight carries no signature.
            if self.signatures is not None and request.method != "OPTIONS":
                self.signatures.verify(request)
            operation, labels = self.router.match(request.method, request.path)
            operation_name = operation.name
            params = read_input(self.contract, operation, request, labels)
            self.behaviours.gate(operation, caller.account, caller.access_key, caller.region)
            if operation.input_shape is not None:
                self.validator.validate(operation.input_shape, params)
            result = self.service.call(operation.name, caller.account, caller.region, params)
            response = json_response(result, 200, request_id)
        except ServiceError as error:
            response = error_response(error, self.contract, request_id)
        except Exception:
            log.exception("unexpected error in %s (request %s)", operation_name, request_id)
            failure = InternalServerException("An internal error occurred; see the emulator's log")
            response = error_response(failure, self.contract, request_id)
        record = RequestRecord(
            time=arrived,
            method=request.method,
            path=request.path,
            operation=operation_name,
            account=caller.account,
            region=caller.region,
            status=response.status_code,
            error=response.headers.get("x-amzn-ErrorType"),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            request_id=request_id,
        )
        self.journal.record(record)
        log.info("%s", record.line(), extra={"request": record.view()})
        return response
