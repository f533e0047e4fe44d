"""The wire protocol: signatures, safe-mode crypto, XML parsing and passive replies.

All cryptography and message parsing is wechatpy's. What this module adds is
the order of checks, so that nothing is parsed before it is authenticated
where the protocol allows it, and nothing reaches expat with a DTD:

1. `signature` over (token, timestamp, nonce), and a fresh timestamp -> 403
2. the body parsed by defusedxml with DTDs forbidden     -> 400
3. safe mode: `msg_signature` over the Encrypt element   -> 403, then decrypt -> 400
4. the (decrypted) message parsed by defusedxml again   -> 400, then wechatpy
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.utils import check_signature

# Characters XML 1.0 cannot carry, and the one sequence CDATA cannot.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Rejected(Exception):
    """The request is answered with `status` and `reason` and nothing else happens."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Inbound:
    message: BaseMessage
    encrypted: bool
    timestamp: str
    nonce: str


def verify_signature(token: str, args) -> None:
    signature, timestamp, nonce = (args.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Rejected(403, "bad signature") from None


def handshake(token: str, args) -> str:
    """The echostr to send back; on an Official Account it stays plaintext in safe mode too."""
    verify_signature(token, args)
    echostr = args.get("echostr", "")
    if not echostr:
        raise Rejected(400, "missing echostr")
    return echostr


def _safe_tree(xml: bytes | str) -> Element:
    try:
        root = defused_fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Rejected(400, f"forbidden XML construct: {type(exc).__name__}") from None
    except (ParseError, ValueError, TypeError):
        raise Rejected(400, "malformed XML") from None
    if root.tag != "xml":
        raise Rejected(400, "unexpected XML root")
    return root


def _parse(xml: str) -> BaseMessage:
    _safe_tree(xml)
    try:
        message = parse_message(xml)
        # Touch the fields every later step relies on, so a junk value fails here.
        valid = message is not None and bool(message.source) and message.time is not None
        _ = message.id if valid else None
    except (KeyError, TypeError, AttributeError, ValueError):
        valid = False
    if not valid:
        raise Rejected(400, "not a WeChat message")
    return message


def read_inbound(token: str, crypto: WeChatCrypto | None, args, body: bytes, max_age_s: float = 0) -> Inbound:
    verify_signature(token, args)
    timestamp, nonce = args["timestamp"], args["nonce"]
    if max_age_s:
        # In plain mode the signature does not cover the body, so a signed
        # query seen once (in a log, say) must not stay usable for long.
        try:
            fresh = abs(time.time() - int(timestamp)) <= max_age_s
        except ValueError:
            fresh = False
        if not fresh:
            raise Rejected(403, "stale or invalid timestamp")
    if args.get("encrypt_type", "raw").lower() != "aes":
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "body is not UTF-8") from None
        return Inbound(_parse(xml), False, timestamp, nonce)

    if crypto is None:
        raise Rejected(400, "safe-mode message, but WECHAT_ENCODING_AES_KEY is not set")
    root = _safe_tree(body)
    msg_signature = args.get("msg_signature", "")
    encrypt = root.findtext("Encrypt")
    if not msg_signature:
        raise Rejected(403, "missing msg_signature")
    if not encrypt:
        raise Rejected(400, "no Encrypt element")
    try:
        xml = crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Rejected(403, "bad msg_signature") from None
    except InvalidAppIdException:
        raise Rejected(403, "encrypted for another AppID") from None
    except Exception:  # base64, padding, length or UTF-8 junk under a valid signature
        raise Rejected(400, "undecryptable Encrypt element") from None
    return Inbound(_parse(xml), True, timestamp, nonce)


def clean_text(text: str) -> str:
    return _XML_INVALID.sub("", text).replace("]]>", "]] >")


def passive_reply(crypto: WeChatCrypto | None, inbound: Inbound, text: str) -> str:
    """The passive text reply, encrypted with the request's timestamp and nonce in safe mode."""
    xml = create_reply(clean_text(text), inbound.message).render()
    if inbound.encrypted and crypto is not None:
        return crypto.encrypt_message(xml, inbound.nonce, inbound.timestamp)
    return xml
