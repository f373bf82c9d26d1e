"""XML for the Bandwidth emulator: building replies, reading requests, and the error envelopes.

Element names and their casing are copied from `carriers/bandwidth.md`; they are inconsistent on
purpose (`<id>`, `<orderId>`, `<LATA>`), because clients depend on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, tostring

from tnorder.sim.bandwidth_faces import V1, Face

DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XML = "application/xml"
NO_RESOURCE = "The resource does not exist"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One API request, as the handlers see it."""

    method: str
    path: str  # after the version prefix: /accounts/1/orders
    query: dict[str, str]  # first value of each parameter
    body: bytes = b""
    base: str = ""  # http://host:port/api (the prefix the client used), for Location and Links
    user: str = "apiuser"  # who is calling: the Basic user or the OAuth client id
    args: dict[str, str] = field(default_factory=dict)  # path parameters
    face: Face = V1  # the API version the client called (bandwidth_faces.py)

    def out(self, number: str) -> str:
        return self.face.out(number)


class Refused(Exception):
    """Raised by a handler to answer at once (validation failures, unknown ids)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class BadXml(ValueError):
    pass


def node(tag: str, *content: object) -> Element:
    """`node("A", node("B", "x"), None, [node("C", 1)])` -> `<A><B>x</B><C>1</C></A>`; None is skipped."""
    element = Element(tag)
    for part in content:
        if part is None:
            continue
        if isinstance(part, Element):
            element.append(part)
        elif isinstance(part, list | tuple):
            element.extend(p for p in part if p is not None)
        else:
            element.text = str(part)
    return element


def leaf(tag: str, value: object) -> Element | None:
    """An element holding `value`, or nothing when the value is absent."""
    return None if value is None or value == "" else node(tag, value)


def boolean(value: bool) -> str:
    return "true" if value else "false"


def document(root: Element) -> bytes:
    return DECLARATION + tostring(root, encoding="unicode").encode()


def xml_reply(status: int, root: Element, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, document(root), {"Content-Type": XML} | (headers or {}))


def parse(body: bytes) -> Element:
    """A request body, parsed safely (no entities, no external references)."""
    from defusedxml import ElementTree as SafeTree
    from defusedxml.common import DefusedXmlException

    try:
        return SafeTree.fromstring(body)
    except (SafeTree.ParseError, DefusedXmlException) as exc:
        raise BadXml(f"the request body is not well-formed XML: {exc}") from None


def text(parent: Element | None, *tags: str) -> str | None:
    """The stripped text of the first child named one of `tags` (spellings vary), or None."""
    if parent is None:
        return None
    for tag in tags:
        child = parent.find(tag)
        if child is not None:
            return (child.text or "").strip()
    return None


def texts(parent: Element | None, path: str) -> list[str]:
    if parent is None:
        return []
    return [(e.text or "").strip() for e in parent.findall(path)]


def stamp(epoch: float) -> str:
    """`2024-03-05T14:07:22.318Z`, the timestamp form of Bandwidth's samples."""
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


def ten(number: str) -> str:
    """E.164 (the world) to the 10-digit wire form."""
    return number[2:] if number.startswith("+1") else number


def link(url: str, rel: str) -> str:
    return f'Link=<{url}>;rel="{rel}";'


# -- error envelopes (bandwidth.md §7) ---------------------------------------------------------
def search_error(code: str, description: str) -> Refused:
    root = node("SearchResult", node("Error", node("Code", code), node("Description", description)))
    return Refused(xml_reply(400, root))


def error_element(code: str, description: str, number: str | None = None) -> Element:
    return node("Error", node("Code", code), node("Description", description), leaf("TelephoneNumber", number))


def error_list(errors: list[tuple[str, str, str | None]]) -> Element:
    return node("ErrorList", [error_element(*e) for e in errors])


def list_error(root_tag: str, code: str, description: str, echo: Element | None = None,
               number: str | None = None, status: int = 400) -> Refused:
    """Orders and disconnects: `<XxxResponse><ErrorList><Error>…</Error></ErrorList>…echo…`."""
    return Refused(xml_reply(status, node(root_tag, error_list([(code, description, number)]), echo)))


def status_error(root_tag: str, code: str, description: str, status: int = 400) -> Refused:
    """Most other resources: `<XxxResponse><ResponseStatus><ErrorCode/><Description/>`."""
    inner = node("ResponseStatus", node("ErrorCode", code), node("Description", description))
    return Refused(xml_reply(status, node(root_tag, inner)))


def internal_error(description: str = "Internal server error") -> Reply:
    inner = node("ResponseStatus", node("ErrorCode", "1000"), node("Description", description))
    return xml_reply(500, node("ErrorResponse", inner))


def not_found(description: str = NO_RESOURCE) -> Refused:
    root = node("ErrorResponse", node("ResponseStatus", node("Description", description)))
    return Refused(xml_reply(404, root))
