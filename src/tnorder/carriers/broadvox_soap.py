"""SOAP 1.1 envelopes for the modeled Broadvox interface (shared/carriers/broadvox.md).

Requests are built with ElementTree (values are escaped by the serializer, never pasted into a
template); answers are read with defusedxml. Every element inside the header and the body is
qualified in the operations' namespace, as .NET ASMX services emit; readers match namespace +
local name and also accept an unqualified child, as the interface notes ask. The emulator's
Broadvox face uses the same helpers, so both sides speak one definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from defusedxml.ElementTree import ParseError, fromstring

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DEFAULT_NAMESPACE = "urn:broadvox:did"
CONTENT_TYPE = "text/xml; charset=utf-8"
AUTH_FAILED = "Authentication failed"

# the conventional `soap:` prefix instead of ElementTree's `ns0:` (the prefix is cosmetic to a
# namespace-aware reader, but it is what every SOAP 1.1 example and .NET service shows)
register_namespace("soap", SOAP_ENV)

# a child's value: text, or a list of (tag, value) pairs nested under it
Value = str | int | list[tuple[str, "Value"]]


class BadSoap(ValueError):
    """A body that is not a readable SOAP envelope."""


@dataclass(frozen=True)
class Fault:
    code: str  # as sent, e.g. `soap:Client`
    text: str

    @property
    def is_client(self) -> bool:
        """`soap:Client`: the request itself was refused (and not acted on)."""
        return self.code.rpartition(":")[2] == "Client"


def soap_action(namespace: str, operation: str) -> str:
    """The quoted `SOAPAction` header value: `"urn:broadvox:did/DIDSearch"`."""
    return f'"{namespace.rstrip("/")}/{operation}"'


def request(namespace: str, operation: str, username: str, password: str,
            children: Iterable[tuple[str, Value]] = ()) -> bytes:
    """One operation's request envelope with the AuthHeader."""
    envelope = Element(f"{{{SOAP_ENV}}}Envelope")
    header = SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    auth = SubElement(header, f"{{{namespace}}}AuthHeader")
    _fill(auth, namespace, [("UserName", username), ("Password", password)])
    body = SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    _fill(SubElement(body, f"{{{namespace}}}{operation}"), namespace, children)
    return _bytes(envelope, namespace)


def response(namespace: str, operation: str, children: Iterable[tuple[str, Value]]) -> bytes:
    """`<OpResponse><OpResult>…</OpResult></OpResponse>` in a SOAP envelope (the emulator's side)."""
    envelope = Element(f"{{{SOAP_ENV}}}Envelope")
    body = SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    answer = SubElement(body, f"{{{namespace}}}{operation}Response")
    _fill(SubElement(answer, f"{{{namespace}}}{operation}Result"), namespace, children)
    return _bytes(envelope, namespace)


def fault(code: str, text: str) -> bytes:
    """A SOAP 1.1 Fault; `faultcode` and `faultstring` are unqualified, as SOAP 1.1 defines them."""
    envelope = Element(f"{{{SOAP_ENV}}}Envelope")
    body = SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    found = SubElement(body, f"{{{SOAP_ENV}}}Fault")
    SubElement(found, "faultcode").text = code
    SubElement(found, "faultstring").text = text
    return tostring(envelope, encoding="utf-8", xml_declaration=True)


def _fill(parent: Element, namespace: str, children: Iterable[tuple[str, Value]]) -> None:
    for tag, value in children:
        child = SubElement(parent, f"{{{namespace}}}{tag}")
        if isinstance(value, list):
            _fill(child, namespace, value)
        else:
            child.text = str(value)


def _bytes(root: Element, namespace: str) -> bytes:
    # the operations' namespace as the default one: `<AuthHeader>`, not `<ns1:AuthHeader>`
    return tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=namespace)


# -- reading -----------------------------------------------------------------------------------
def parse(body: bytes) -> Element:
    """The `soap:Body` of an envelope."""
    return parse_envelope(body)[1]


def parse_envelope(body: bytes) -> tuple[Element | None, Element]:
    """(`soap:Header` or None, `soap:Body`) of an envelope; BadSoap when it is none."""
    try:
        root = fromstring(body)
    except (ParseError, ValueError) as exc:
        raise BadSoap(f"not XML: {exc}") from None
    found = root.find(f"{{{SOAP_ENV}}}Body") if root.tag == f"{{{SOAP_ENV}}}Envelope" else None
    if found is None:
        raise BadSoap("not a SOAP 1.1 envelope with a Body")
    return root.find(f"{{{SOAP_ENV}}}Header"), found


def fault_of(body: Element) -> Fault | None:
    found = body.find(f"{{{SOAP_ENV}}}Fault")
    if found is None:
        return None
    # SOAP 1.1 leaves faultcode/faultstring unqualified; some stacks qualify them anyway
    code = next((c.text for c in found if local(c.tag) == "faultcode" and c.text), None)
    text = next((c.text for c in found if local(c.tag) == "faultstring" and c.text), None)
    return Fault((code or "soap:Server").strip(), " ".join((text or "unspecified fault").split()))


def result_of(body: Element, namespace: str, operation: str) -> Element:
    """`OpResponse/OpResult`; BadSoap when the answer is some other operation's or has none."""
    answer = child(body, namespace, f"{operation}Response")
    result = child(answer, namespace, f"{operation}Result") if answer is not None else None
    if result is None:
        raise BadSoap(f"no {operation}Result in the answer")
    return result


def operation_of(body: Element, namespace: str) -> tuple[str, Element] | None:
    """The request element of a body (the emulator's side): (operation, element)."""
    for element in body:
        if element.tag.startswith(f"{{{namespace}}}") or "}" not in element.tag:
            return local(element.tag), element
    return None


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _named(element: Element, namespace: str, name: str) -> bool:
    return element.tag in (f"{{{namespace}}}{name}", name)


def child(node: Element | None, namespace: str, name: str) -> Element | None:
    return next(children(node, namespace, name), None)


def children(node: Element | None, namespace: str, name: str) -> Iterator[Element]:
    return (c for c in (node if node is not None else []) if _named(c, namespace, name))


def text(node: Element | None, namespace: str, name: str) -> str | None:
    found = child(node, namespace, name)
    value = found.text.strip() if found is not None and found.text else ""
    return value or None
