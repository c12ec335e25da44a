"""Hostile input bounded before any parsing: an ASGI middleware in front of the whole API.

Every request's headers are measured against a length limit (the ones the hub reads have their
own, tighter limit). The body of a JSON operation (every ``POST``/``PUT``/``PATCH`` under
``/v1/`` except the batch uploads, which have their own limit and streaming) is read up to
``CARREFOUR_MAX_JSON_BYTES``, must be declared ``application/json``, must be UTF-8, and is
scanned (one regular expression, no parsing) for its nesting depth, the length of its numbers
and of its strings. Each violation is a problem+json with a specific type: 413, 415, 422 or 431.
Only a body that passes reaches the application, which then parses it as usual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carrefour.api.problems import problem

#: Nesting of arrays and objects a JSON body may have (a voucher has 2).
MAX_JSON_DEPTH = 32
#: Characters of one JSON number (a 20-digit integer is already beyond any field of the hub).
MAX_JSON_NUMBER_CHARS = 40
#: Characters of one JSON string, escapes included.
MAX_JSON_STRING_CHARS = 10_000

#: Bytes of each header the hub reads; ``idempotency-key`` as its column holds it.
HEADER_LIMITS: Mapping[bytes, int] = {
    b"idempotency-key": 200,
    b"authorization": 1024,
    b"content-type": 256,
    b"hx-request": 16,
    b"host": 512,
    b"origin": 2048,
    b"referer": 2048,
    b"cookie": 4096,
}
#: Bytes of any other header.
DEFAULT_HEADER_LIMIT = 8192

#: The uploads that take their own body (batch files) and their own limit.
BATCH_PATHS = ("/v1/batches",)
#: Operations whose body is a file, bounded by their own limit (a case document: 413 beyond
#: ``case_document_max_bytes``, 415 for a type it does not take).
FILE_UPLOADS = re.compile(r"^/v1/inami/cases/[^/]+/documents/?$")
NDJSON = ("application/x-ndjson", "application/jsonl", "application/jsonlines")
JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]|-?[0-9][0-9.eE+\-]*')


class GuardViolation(Exception):
    """A request refused before the application sees it."""

    def __init__(self, status: int, kind: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail


def check_query(path: str, query: bytes) -> None:
    """Raise ``GuardViolation`` (422) for a query parameter given more than once: every
    parameter of the API takes one value, and a repeated one would silently keep the last."""
    if not path.startswith("/v1/") or not query:
        return
    seen: set[str] = set()
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            raise GuardViolation(
                422,
                "repeated-query-parameter",
                "Query parameter repeated",
                f"the query parameter {name[:64]!r} is given more than once; it takes one value",
            )
        seen.add(name)


def check_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Raise ``GuardViolation`` (431) for a header longer than its limit."""
    for name, value in headers:
        limit = HEADER_LIMITS.get(name.lower(), DEFAULT_HEADER_LIMIT)
        if len(value) > limit:
            shown = name.decode("latin-1")[:64]
            raise GuardViolation(
                431,
                "header-too-long",
                "Request header too long",
                f"the {shown} header has {len(value)} bytes; at most {limit} are taken",
            )


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """``("application/json", {"charset": "utf-8"})`` from a Content-Type value."""
    kind, *params = content_type.split(";")
    found: dict[str, str] = {}
    for param in params:
        key, _, value = param.partition("=")
        found[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), found


def is_json_operation(method: str, path: str, content_type: str) -> bool:
    """Whether the request's body is JSON the API parses (not a batch file, not a form)."""
    if method not in JSON_METHODS or not path.startswith("/v1/"):
        return False
    if path.rstrip("/") in BATCH_PATHS or FILE_UPLOADS.match(path):
        return False
    return not (path.rstrip("/") == "/v1/vouchers" and media_type(content_type)[0] in NDJSON)


def check_content_type(content_type: str) -> None:
    """Raise ``GuardViolation`` (415) unless the body is declared JSON in UTF-8."""
    kind, params = media_type(content_type)
    if kind != "application/json" and not (
        kind.startswith("application/") and kind.endswith("+json")
    ):
        declared = f"Content-Type {content_type[:100]!r}" if content_type else "no Content-Type"
        raise GuardViolation(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"the body was sent with {declared}; this operation takes application/json",
        )
    charset = params.get("charset")
    if charset not in (None, "utf-8", "utf8"):
        raise GuardViolation(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"the body is declared in {charset[:40]!r}; JSON bodies are UTF-8",
        )


def check_json(body: bytes) -> None:
    """Raise ``GuardViolation`` for a body that is not UTF-8 (415) or whose nesting, numbers or
    strings exceed the limits (422). Nothing is parsed: the tokens are only counted."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GuardViolation(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"byte {error.start} of the body is not UTF-8; JSON bodies are UTF-8",
        ) from None
    depth = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        first = token[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise GuardViolation(
                    422,
                    "json-too-deep",
                    "JSON nested too deeply",
                    f"the body nests arrays or objects {MAX_JSON_DEPTH + 1} levels deep at byte "
                    f"{match.start()}; at most {MAX_JSON_DEPTH} are taken",
                )
        elif first in (b"]", b"}"):
            depth -= 1
        elif first == b'"':
            if len(token) - 2 > MAX_JSON_STRING_CHARS:
                raise GuardViolation(
                    422,
                    "json-string-too-long",
                    "JSON string too long",
                    f"the string at byte {match.start()} has {len(token) - 2} characters; at "
                    f"most {MAX_JSON_STRING_CHARS} are taken",
                )
        elif len(token) > MAX_JSON_NUMBER_CHARS:
            raise GuardViolation(
                422,
                "json-number-too-long",
                "JSON number too long",
                f"the number at byte {match.start()} has {len(token)} characters; at most "
                f"{MAX_JSON_NUMBER_CHARS} are taken",
            )


class InputGuard:
    """The ASGI middleware: headers for every request, body limits for JSON operations."""

    def __init__(self, app: ASGIApp, *, max_json_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
            check_headers(headers)
            check_query(scope["path"], scope.get("query_string", b""))
            content_type = _header(headers, b"content-type")
            if not is_json_operation(scope["method"], scope["path"], content_type):
                await self.app(scope, receive, send)
                return
            body = await self._read(headers, receive)
            if body or content_type:
                check_content_type(content_type)
                check_json(body)
        except GuardViolation as violation:
            await _refuse(scope, receive, send, violation)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, headers: list[tuple[bytes, bytes]], receive: Receive) -> bytes:
        declared = _header(headers, b"content-length")
        if declared.isdigit() and int(declared) > self.max_json_bytes:
            raise self._too_large(f"{declared} bytes are declared")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_json_bytes:
                raise self._too_large(f"more than {self.max_json_bytes} bytes were sent")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self, what: str) -> GuardViolation:
        return GuardViolation(
            413,
            "body-too-large",
            "Request body too large",
            f"{what}; a JSON body holds at most {self.max_json_bytes} bytes "
            "(CARREFOUR_MAX_JSON_BYTES); send many vouchers as a batch file (POST /v1/batches)",
        )


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the body already read, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, violation: GuardViolation) -> None:
    response = problem(
        violation.status, violation.kind, violation.title, violation.detail, scope["path"][:512]
    )
    await response(scope, receive, send)
