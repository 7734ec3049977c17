"""What a sign-up request says, strictly checked: one clear 4xx for anything odd, nothing stored.

A form (urlencoded or multipart) or a JSON object with the fields below and nothing else; every
value a string without line breaks or control characters (they would end up in mail headers).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Request

from ..characters import CONTROL
from ..delivery.subscribers import normalize_address, normalize_language, normalize_name
from ..errors import NewsletterError

#: The sign-up fields: the site's snippet sends email, language and the honeypot `website`;
#: the service's own form adds the CSRF token; JSON clients may add a display name.
SIGNUP_FIELDS = frozenset({"email", "language", "name", "website", "csrf_token"})
MAX_FIELD_CHARS = {"email": 320, "language": 16, "name": 200, "website": 500, "csrf_token": 512}


class FormError(Exception):
    """A request the service refuses; `problem` names the localized message (labels.toml)."""

    def __init__(self, status: int, problem: str, detail: str = ""):
        super().__init__(detail or problem)
        self.status, self.problem, self.detail = status, problem, detail


@dataclass(frozen=True)
class Signup:
    """A valid sign-up: the address as stored, an edition language, and whether a bot filled it."""

    address: str
    language: str
    name: str
    honeypot: bool


def wants_json(request: Request) -> bool:
    """JSON in, or JSON preferred over HTML out: answer in JSON."""
    if request.mimetype == "application/json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def read_fields(request: Request, allowed: Collection[str]) -> dict[str, str]:
    """The request body as field -> value, or FormError (400 malformed, 415 unknown type)."""
    if request.mimetype == "application/json":
        fields = _json_fields(request.get_data(cache=True))
    elif request.mimetype == "application/x-www-form-urlencoded":
        fields = _urlencoded_fields(request.get_data(cache=True))
    elif request.mimetype == "multipart/form-data":
        if request.files:
            raise FormError(400, "malformed", "file uploads are not accepted")
        fields = {}
        for key in request.form:
            values = request.form.getlist(key)
            if len(values) != 1:
                raise FormError(400, "malformed", f"field {key!r} is given more than once")
            fields[key] = values[0]
    elif not request.content_length and request.mimetype == "":
        fields = {}
    else:
        raise FormError(415, "malformed", f"unsupported content type {request.mimetype!r}")
    for key, value in fields.items():
        if key not in allowed:
            raise FormError(400, "malformed", f"unknown field {key!r}")
        if CONTROL.search(value):
            raise FormError(400, "line_break", f"field {key!r} contains a line break or control character")
        if "\ufffd" in value:  # what the form parser makes of bytes that are not UTF-8
            raise FormError(400, "malformed", f"field {key!r} is not valid UTF-8")
        if len(value) > MAX_FIELD_CHARS.get(key, 200):
            raise FormError(
                400, "invalid_email" if key == "email" else "malformed", f"field {key!r} is too long"
            )
    return fields


def _urlencoded_fields(body: bytes) -> dict[str, str]:
    """Parsed strictly: a percent-escape that is not UTF-8, or a repeated field, is an error."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise FormError(400, "malformed", "the form body is not valid UTF-8 form data") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise FormError(400, "malformed", "a field is given more than once")
    return fields


def _json_fields(body: bytes) -> dict[str, str]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise FormError(400, "malformed", "a key is given more than once")
        return dict(pairs)

    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FormError(400, "malformed", "the body is not a JSON object") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise FormError(400, "malformed", "the body must be a JSON object of strings")
    return data


def parse_signup(fields: dict[str, str], languages: Collection[str], default_language: str) -> Signup:
    """Validate a sign-up's fields: the address (syntax only, no DNS) and an offered edition."""
    if fields.get("website", "").strip():
        return Signup("", default_language, "", honeypot=True)
    raw = fields.get("email", "").strip()
    if not raw:
        raise FormError(400, "invalid_email", "the email field is required")
    try:
        address = normalize_address(raw)
        name = normalize_name(fields.get("name", ""))
    except NewsletterError as e:
        kind = e.message.split(" ", 2)[1]  # "invalid address …", "invalid name …"
        raise FormError(400, "invalid_email" if kind == "address" else "malformed", e.message) from None
    try:
        language = normalize_language(fields.get("language", ""), tuple(languages)) or default_language
    except NewsletterError as e:
        raise FormError(400, "invalid_language", e.message) from None
    return Signup(address, language, name, honeypot=False)
