"""Rasa's check of an action server's reply: its JSON schema compiled once, each event checked
against the one event schema it names.

Why it exists: Rasa 3.6 validates every reply of the action server with
`jsonschema.validate(result, schema)`, which checks the schema itself against the
meta-schema and builds a new validator each time. Profiled under `make bench` (16
users, ops/profiles/), that was ~12% of the Rasa server's event loop. The same schema
is now checked once, at start-up, and one validator is kept.

Round 3: even compiled, the check was ~0.4 ms of Rasa's CPU for the knowledge answer's
reply (two slot events and the answer), work the floor's greeting does not do. Rasa's
event schema is `oneOf` 23 alternatives, so every event was tried against all 23.
Each alternative pins `event` to its own constant and `event` is required, so an event
can only ever match the alternative its `event` names: checking that one alone gives
the same verdict. A reply that passes that way is accepted; anything else (including a
schema not shaped like that, in another Rasa version) goes through the whole check,
which raises with Rasa's own message as before. The same replies pass, the same replies
fail. `rasa_ext.launch` installs it before Rasa starts.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate does on every call, done once
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> dict | None:
    """Event name -> a validator of the event schema's common part and that event's alternative;
    None when Rasa's schema is not the shape this shortcut relies on (then every reply gets the
    whole check)."""
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    try:
        events = schema["properties"]["events"]
        items = events["items"]
        alternatives = items["oneOf"]
        names = [alternative["properties"]["event"]["const"] for alternative in alternatives]
        expected_shape = (
            set(schema) == {"type", "properties"}
            and schema["type"] == "object"
            and set(schema["properties"]) == {"events", "responses"}
            and schema["properties"]["responses"] == {"type": "array", "items": {"type": "object"}}
            and set(events) == {"type", "items"}
            and events["type"] == "array"
            and "event" in items.get("required", ())
            and all(isinstance(name, str) for name in names)
            and len(set(names)) == len(names)
        )
    except (KeyError, TypeError, AttributeError):
        return None
    if not expected_shape:
        return None
    common = {key: value for key, value in items.items() if key != "oneOf"}
    cls = type(_validator())
    return {name: cls({"allOf": [common, alternative]}) for name, alternative in zip(names, alternatives)}


def passes_by_event(result) -> bool:
    """True if the reply is valid, checked event by event against the schema each names; False
    means "not shown valid this way" (the whole check decides)."""
    validators = _event_validators()
    if validators is None or not isinstance(result, dict):
        return False
    events, responses = result.get("events", []), result.get("responses", [])
    if not isinstance(events, list) or not isinstance(responses, list):
        return False
    if not all(isinstance(response, dict) for response in responses):
        return False
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = validators.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self, result: dict) -> bool:
    """RemoteAction._validate_action_result, minus the per-call schema check and the other 22
    event schemas."""
    from jsonschema import exceptions
    from rasa.core.actions.action import DOCS_BASE_URL

    if passes_by_event(result):
        return True
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    _validator()
    _event_validators()
    RemoteAction._validate_action_result = validate_action_result
