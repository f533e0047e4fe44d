"""Rasa's check of an action server's reply, with its JSON schema compiled once instead of per call.

Why it exists: Rasa 3.6 validates every reply of the action server with
`jsonschema.validate(result, schema)`, which checks the schema itself against the
meta-schema and builds a new validator each time. Profiled under `make bench` (16
users, ops/profiles/), that was ~12% of the Rasa server's event loop, and a park
question calls the action server twice (the language slot's mapping, then the
answer). The same schema is now checked once, at start-up, and one validator is
kept: the same replies pass, the same replies fail, with Rasa's own message.
`rasa_ext.launch` installs it before Rasa starts.
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


def validate_action_result(self, result: dict) -> bool:
    """RemoteAction._validate_action_result, minus the per-call schema check."""
    from jsonschema import exceptions
    from rasa.core.actions.action import DOCS_BASE_URL

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
    RemoteAction._validate_action_result = validate_action_result
