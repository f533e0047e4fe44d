"""A WeChat user's pseudonymous ids: the OpenID never reaches Rasa or the logs."""

from __future__ import annotations

import hashlib
import hmac


def openid_hash(openid: str, salt: str) -> str:
    """Stable for a given salt, so context and forms carry across turns."""
    return hmac.new(salt.encode("utf-8"), openid.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def conversation_id(openid: str, salt: str) -> str:
    """The sender id given to Rasa."""
    return "wx-" + openid_hash(openid, salt)
