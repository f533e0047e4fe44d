"""Rasa's lookup of an event class by its name, remembered instead of searched for every event.

Why it exists: Rasa 3.6 reads a conversation back from the tracker store on every message
and turns each stored event into an object through `Event.resolve_by_type`, which walks
the whole tree of Event subclasses each time. Profiled under `make bench` (ops/profiles/)
that walk was ~4-8% of the Rasa server's event loop, growing with the session. The walk is
the same; the class it finds for a name is kept. Unknown names, the old `topic` event and
defaults still go to Rasa's own method. `rasa_ext.launch` installs it before Rasa starts.
"""

from __future__ import annotations

_found: dict[str, type] = {}
_original = None


def resolve_by_type(type_name, default=None):
    """Event.resolve_by_type, with each name's class remembered once found."""
    cls = _found.get(type_name)
    if cls is not None:
        return cls
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for candidate in all_subclasses(Event):  # Rasa's own search, first match wins
        if candidate.type_name == type_name:
            _found[type_name] = candidate
            return candidate
    return _original(type_name, default)


def install() -> None:
    global _original
    from rasa.shared.core.events import Event

    if _original is None:
        _original = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_by_type)
