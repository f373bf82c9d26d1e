"""Notes on orders and disconnects (bandwidth.md §3 "Order sub-resources", §5): `GET|POST …/{id}/notes`,
`PUT …/{id}/notes/{noteId}`, under `/orders` and `/disconnects` alike.

`POST` a `<Note><UserId/><Description/></Note>`: 201, a `Location` and no body. `GET`: `Notes/Note*`
{`Id`, `UserId`, `Description`, `LastDateModifier`}, or 204 with no body when there are none.
`PUT`: 200, no body. Refusals are `NoteResponse/ResponseStatus{ErrorCode, Description}` with
ERRS's texts; an unknown order is the bare 404 (`ErrorResponse`, "The resource does not exist").

Where the spec leaves a choice open, the emulator chooses:
- `UserId` is not compared with the caller ("must match the logged-in user" says a comment in the
  spec's example; with OAuth2 client credentials there is no user name to match): it must be there
  (12501) and spelled as ERRS 12502 allows;
- a missing or blank `Description` is 1003 "Description is required", more than 500 characters
  (the documented maximum) 1011, a body that is not a `<Note>` 1019 (ERRS's system codes);
- note ids are whole numbers counted across the emulator; an id that is not one of the order's
  notes is 404 `NoteResponse` 5040 "Note not found." (ERRS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element

from tnorder.sim.bandwidth_xml import BadXml, Call, Reply, node, not_found, parse, stamp, status_error, text, xml_reply
from tnorder.sim.world import World

NOTE_RESPONSE = "NoteResponse"
COLLECTIONS = {"orders": "order", "disconnects": "disconnect"}
USER = re.compile(r"[A-Za-z0-9@._\-]{1,100}")
MAX_DESCRIPTION = 500
BAD_REQUEST = "Bad request encountered. Please check your request and try again."


def note_routes(world: World) -> list[tuple[str, dict[str, Callable[[Call], Reply]], bool]]:
    routes = []
    for collection, kind in COLLECTIONS.items():
        base = f"/{collection}/(?P<order>[^/]+)/notes"
        routes += [
            (base, {"GET": _bound(list_notes, world, kind), "POST": _bound(add_note, world, kind)}, False),
            (f"{base}/(?P<note>[^/]+)", {"PUT": _bound(edit_note, world, kind)}, False),
        ]
    return routes


def _bound(handler: Callable[[World, Call, str], Reply], world: World, kind: str) -> Callable[[Call], Reply]:
    return lambda call: handler(world, call, kind)


def list_notes(world: World, call: Call, kind: str) -> Reply:
    notes = world.notes(call.args["order"], call.args["account"], kind)
    if notes is None:
        raise not_found()
    if not notes:
        return Reply(204)
    listed = [node("Note", node("Id", n.id), node("UserId", n.user_id), node("Description", n.description),
                   node("LastDateModifier", stamp(n.modified_at))) for n in notes]
    return xml_reply(200, node("Notes", listed))


def add_note(world: World, call: Call, kind: str) -> Reply:
    if world.get(call.args["order"], call.args["account"], kind) is None:
        raise not_found()
    user, description = _note(call.body)
    note_id = world.add_note(call.args["order"], call.args["account"], kind, user, description)
    if note_id is None:
        raise not_found()
    return Reply(201, b"", {"Location": f"{call.base}{call.path}/{note_id}"})


def edit_note(world: World, call: Call, kind: str) -> Reply:
    if world.get(call.args["order"], call.args["account"], kind) is None:
        raise not_found()
    user, description = _note(call.body)
    note_id = call.args["note"]
    known = note_id.isdigit() and len(note_id) < 19  # beyond SQLite's integers no note can exist
    if not (known and world.edit_note(int(note_id), call.args["order"], user, description)):
        raise status_error(NOTE_RESPONSE, "5040", "Note not found.", 404)
    return Reply(200)


def _note(body: bytes) -> tuple[str, str]:
    """(UserId, Description) of a `<Note>` body, or the refusal ERRS has for what is wrong with it."""
    root = _root(body)
    user, description = text(root, "UserId"), text(root, "Description")
    if not user:
        raise status_error(NOTE_RESPONSE, "12501", "Username is required")
    if not USER.fullmatch(user):
        raise status_error(NOTE_RESPONSE, "12502", f"User name '{user}' is invalid. Usernames can only contain "
                           "alphanumerics (a-z, A-Z, 0-9), '@' (At signs), '.' (periods), '_' (underscores) and "
                           "'-' (hyphens)")
    if not description:
        raise status_error(NOTE_RESPONSE, "1003", "Description is required")
    if len(description) > MAX_DESCRIPTION:
        raise status_error(NOTE_RESPONSE, "1011", f"Description is too long. Max length {MAX_DESCRIPTION} characters")
    return user, description


def _root(body: bytes) -> Element:
    try:
        root = parse(body)
    except BadXml:
        raise status_error(NOTE_RESPONSE, "1019", BAD_REQUEST) from None
    if root.tag != "Note":
        raise status_error(NOTE_RESPONSE, "1019", BAD_REQUEST)
    return root


__all__ = ["note_routes"]
