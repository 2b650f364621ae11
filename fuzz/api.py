"""API requests: each of the contract's operations with valid, broken and odd inputs, over
well-formed and malformed HTTP (odd methods and paths, garbled Authorization headers and
credential scopes, bodies that are not JSON or not UTF-8, raw request lines).
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote, urlencode

from .model import Model, Operation
from .transport import Case
from .values import WEIRD_STRINGS, Values, deep, encode, odd_body

ACCOUNTS = ("123456789012", "111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
ODD_METHODS = (
    "PURGE",
    "FOO",
    "get",
    "PROPFIND",
    "M-SEARCH",
    "TRACE",
    "OPTIONS",
    "HEAD",
    "PATCH",
    "PUT",
    "DELETE",
    "GET",
    "POST",
    "X" * 200,
)
ODD_PATHS = (
    "/",
    "//CreateStage",
    "/CreateStage/",
    "/createstage",
    "/CreateStage%00",
    "/%0D%1B",
    "/%0D%0AX-Injected:%201",
    "/%1B%5B31mred",
    "/%C3%28",
    "/%ED%A0%80",
    "/%FF%FE",
    "/%ZZ",
    "/%",
    "/tags/",
    "/tags",
    "/tags/%FF",
    "/tags/%ED%A0%80",
    "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2F",
    "/tags/arn:aws:ivs:us-east-1:123456789012:stage/abc/def",
    "/tags/" + "a" * 5000,
    "/../CreateStage",
    "/%2e%2e/CreateStage",
    "/CreateStage?%C2%B2=%C2%B2&&=&%%",
    "/ListStages?maxResults=99999999999999999999",
    "/" + "A" * 7000,
    "/_emulator/../CreateStage",
    "/_emulator/nothing",
    "/_emulator/faults/",
    "/_emulator//faults",
    "*",
)
ODD_HOSTS = (
    b"evil.example",
    b"localhost",
    b"127.0.0.1",
    b"[::1]",
    b"",
    b"127.0.0.1:99999",
    b"localhost.evil.example",
    b"h" * 5000,
    b"\xff\xfe",
    b"127.0.0.1:4599, evil.example",
)
ODD_ORIGINS = (
    b"https://evil.example",
    b"null",
    b"http://localhost",
    b"http://127.0.0.1",
    b"",
    b"http://[::1]:4599",
    b"o" * 3000,
    b"\xc3\x28",
)
CONTENT_TYPES = (
    b"application/json",
    b"application/x-amz-json-1.1",
    b"text/plain",
    b"application/json; charset=latin-1",
    b"multipart/form-data; boundary=x",
    b"application/x-www-form-urlencoded",
    b"",
    b"\xff\xfe",
)
RAW_REQUESTS = (
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /\xff\xfe HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /%0D%1B HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET  /  HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n{}",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n{}",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{}",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2\r\n{}\r\n0\r\n\r\n",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2"
    b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"POST /_emulator/faults HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\n[[[[[\r\n0\r\n\r\n",
    b"POST /CreateStage HTTP/1.1\r\nHost: a\r\nAuthorization: \xff\xfe\x00\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Many: y\r\n" * 2000 + b"\r\n",
    b"\r\n\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
)


class ApiCases:
    """Makes API cases for the operations of `model`."""

    def __init__(self, model: Model, values: Values) -> None:
        self.model = model
        self.values = values
        self.rng: random.Random = values.rng

    # -- the request of an operation --------------------------------------------------------

    def request(self, operation: Operation, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The path (with query) and body of `operation` called with `params`."""
        path = operation.uri
        query: list[tuple[str, str]] = []
        body = dict(params)
        if operation.input_shape is not None:
            members = self.model.shape(operation.input_shape).get("members", {})
            for name, ref in members.items():
                location = ref.get("location")
                if location is None or name not in body:
                    continue
                value = body.pop(name)
                wire = ref.get("locationName", name)
                if location == "uri":
                    text = value if isinstance(value, str) else json.dumps(value)
                    safe = "" if self.rng.random() < 0.8 else ":/"
                    path = path.replace(
                        "{" + wire + "}", quote(text, safe=safe, errors="surrogatepass")
                    )
                elif location == "querystring":
                    items = value if isinstance(value, list) else [value]
                    query += [
                        (wire, item if isinstance(item, str) else json.dumps(item))
                        for item in items
                    ]
        if "{" in path:  # a required label that was left out
            path = path.split("{", 1)[0]
        if query:
            path += "?" + urlencode(query, quote_via=quote, errors="surrogatepass")
        return path, body

    def headers(self, content_type: bytes | None = b"application/json") -> list[tuple[str, bytes]]:
        rng = self.rng
        headers: list[tuple[str, bytes]] = []
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        if rng.random() < 0.85:
            headers.append(("Authorization", self.authorization()))
            headers.append(("X-Amz-Date", b"20260101T000000Z"))
        return headers

    def authorization(self) -> bytes:
        """A SigV4 header as an SDK writes it, for one of a few accounts and regions."""
        rng = self.rng
        key = rng.choice(["test", "AKIDEXAMPLE", *ACCOUNTS])
        region = rng.choice(REGIONS) if rng.random() < 0.2 else REGIONS[0]
        return (
            f"AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/ivs/aws4_request, "
            f"SignedHeaders=content-type;host;x-amz-date, Signature={'0' * 64}"
        ).encode()

    # -- cases ------------------------------------------------------------------------------

    def valid(self) -> Case:
        operation = self.rng.choice(self.model.operations)
        params = self._valid_params(operation)
        return self._case("api-valid", operation, params)

    def broken(self) -> Case:
        """Valid input but for one thing: a member broken, dropped, null, or one added."""
        rng = self.rng
        operation = rng.choice(self.model.operations)
        params = self._valid_params(operation)
        shape = self.model.shape(operation.input_shape) if operation.input_shape else {}
        members = shape.get("members", {})
        roll = rng.random()
        if members and roll < 0.6:
            name = rng.choice(sorted(members))
            params[name] = self.values.broken(members[name]["shape"], name)
        elif params and roll < 0.75:
            del params[rng.choice(sorted(params))]
        elif members and roll < 0.85:
            params[rng.choice(sorted(members))] = None
        else:
            params[rng.choice(["extra", "Name", "__proto__", "\ud800", ""])] = self.values.junk()
        return self._case("api-broken", operation, params)

    def odd_body(self) -> Case:
        operation = self.rng.choice(self.model.operations)
        params = self._valid_params(operation)
        path, body = self.request(operation, params)
        return Case(
            "api-body",
            operation.name,
            operation.method,
            path,
            self.headers(),
            odd_body(self.values, body),
        )

    def odd_http(self) -> Case:
        """Odd methods, paths and content types on the API's paths."""
        rng = self.rng
        operation = rng.choice(self.model.operations)
        path, body = self.request(operation, self._valid_params(operation))
        roll = rng.random()
        method = operation.method
        if roll < 0.4:
            method = rng.choice(ODD_METHODS)
        elif roll < 0.8:
            path = rng.choice(ODD_PATHS)
        content_type = rng.choice(CONTENT_TYPES) if rng.random() < 0.5 else b"application/json"
        headers = self.headers(content_type if rng.random() < 0.9 else None)
        if rng.random() < 0.2:
            headers.append(("Content-Encoding", rng.choice([b"gzip", b"br", b"identity", b"x"])))
        if rng.random() < 0.1:
            headers.append(("Expect", b"100-continue"))
        if rng.random() < 0.15:
            headers.append(("Host", rng.choice(ODD_HOSTS)))
        if rng.random() < 0.15:
            headers.append(("Origin", rng.choice(ODD_ORIGINS)))
        if rng.random() < 0.2:  # the controls too, with the API's odd headers
            path = rng.choice(["/_emulator/reset", "/_emulator/faults", "/_emulator/export"])
        return Case("http-odd", operation.name, method, path, headers, encode(body, rng))

    def odd_auth(self) -> Case:
        """Garbled, huge or odd Authorization headers and credential scopes."""
        rng = self.rng
        operation = rng.choice(self.model.operations)
        path, body = self.request(operation, self._valid_params(operation))
        headers = [("Content-Type", b"application/json")]
        for _ in range(rng.choice([1, 1, 1, 2])):
            headers.append(("Authorization", self._odd_authorization()))
        if rng.random() < 0.3:
            headers.append(
                ("X-Amz-Date", rng.choice([b"", b"garbage", b"99999999T999999Z", b"\xff" * 8]))
            )
        if rng.random() < 0.1:
            headers.append(("X-Amz-Security-Token", b"x" * rng.choice([10, 10_000])))
        return Case("auth", operation.name, operation.method, path, headers, encode(body, rng))

    def _odd_authorization(self) -> bytes:
        rng = self.rng
        key = rng.choice(
            [
                "test",
                "123456789012",
                "\u0661" * 12,
                "\uff11" * 12,
                "0" * 12,
                "1" * 13,
                "A" * 20_000,
                "a\x1bb",
                "key\x7f",
                "",
                "%00",
                "\ud800",
            ]
        )
        date = rng.choice(["20260101", "99999999", "00000000", "2026010", "abcdefgh"])
        region = rng.choice(
            ["us-east-1", "", "US-EAST-1", "eu-west-1", "a" * 5000, "x-" * 40, "r\x1b", "\u00e9"]
        )
        service = rng.choice(["ivs", "ivsrealtime", "s3", "", "ivs/extra"])
        scope = f"{key}/{date}/{region}/{service}/aws4_request"
        text = rng.choice(
            [
                f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00",
                f"AWS4-HMAC-SHA256 Credential={scope}",
                f"AWS4-HMAC-SHA256 Credential={scope}, Credential=o/1/us-east-1/ivs/aws4_request",
                "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/ivs/aws4_request",
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA256 Credential=a/b/c",
                "Bearer " + "x" * 100,
                "Basic dXNlcjpwYXNz",
                "",
                " ",
                "Credential=" * 2000,
                "AWS4-HMAC-SHA256 Credential=" + "a/" * 5000 + "aws4_request",
                rng.choice(WEIRD_STRINGS),
            ]
        )
        data = text.encode("utf-8", "surrogatepass")
        roll = rng.random()
        if roll < 0.1:
            data = bytes(rng.randrange(32, 256) for _ in range(rng.randint(1, 300)))
        elif roll < 0.15:
            data += b"x" * rng.choice([60_000, 200_000, 1_200_000])
        return data.replace(b"\r", b"").replace(b"\n", b"")

    def raw(self) -> Case:
        return Case("raw", "raw", raw=self.rng.choice(RAW_REQUESTS))

    def deep_body(self) -> Case:
        operation = self.rng.choice(self.model.operations)
        path, _ = self.request(operation, self._valid_params(operation))
        body = deep(self.rng.choice([10_000, 50_000]), self.rng)
        return Case("api-body", operation.name, operation.method, path, self.headers(), body)

    def _valid_params(self, operation: Operation) -> dict[str, Any]:
        if operation.input_shape is None:
            return {}
        value = self.values.valid(operation.input_shape)
        assert isinstance(value, dict)
        return value

    def _case(self, kind: str, operation: Operation, params: dict[str, Any]) -> Case:
        path, body = self.request(operation, params)
        return Case(
            kind, operation.name, operation.method, path, self.headers(), encode(body, self.rng)
        )
