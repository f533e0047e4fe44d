"""The wire protocol: signatures, safe-mode crypto, XML parsing and passive replies.

All cryptography and message parsing is wechatpy's. What this module adds is
the order of checks, so that nothing is parsed before it is authenticated
where the protocol allows it, and nothing reaches expat with a DTD:

1. `signature` over (token, timestamp, nonce), and a fresh timestamp -> 403
   (routes.py then refuses a (signature, timestamp, nonce) seen before: replay.py)
2. the body parsed by defusedxml with DTDs forbidden     -> 400
3. the mode: safe refuses cleartext (403); compatible reads a body that
   carries an Encrypt element from it alone, never from the fields beside it
4. `msg_signature` over the Encrypt element              -> 403, then decrypt -> 400
5. the (decrypted) message parsed by defusedxml again   -> 400, then wechatpy

Signatures are computed by wechatpy's signer but compared here with
hmac.compare_digest, so the comparison takes the same time wherever it differs.
"""

from __future__ import annotations

import hmac
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
from wechatpy.utils import WeChatSigner

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


def _signed(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def verify_signature(token: str, args) -> None:
    signature, timestamp, nonce = (args.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature")
    if not _same(_signed(token, timestamp, nonce), signature):
        raise Rejected(403, "bad signature")


def check_fresh(timestamp: str, max_age_s: float) -> None:
    """The signature does not cover the body in plain mode (nor echostr), so a
    signed query seen once (in a log, say) must not stay usable for long. 0: no check."""
    if not max_age_s:
        return
    try:
        fresh = abs(time.time() - int(timestamp)) <= max_age_s
    except ValueError:
        fresh = False
    if not fresh:
        raise Rejected(403, "stale or invalid timestamp")


def handshake(token: str, args, max_age_s: float = 0) -> str:
    """The echostr to send back; on an Official Account it stays plaintext in safe mode too."""
    verify_signature(token, args)
    check_fresh(args["timestamp"], max_age_s)
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


def read_inbound(
    token: str, crypto: WeChatCrypto | None, args, body: bytes, max_age_s: float = 0, mode: str | None = None
) -> Inbound:
    """The authenticated message. `mode` defaults to safe with a crypto, plain without."""
    mode = mode or ("safe" if crypto is not None else "plain")
    verify_signature(token, args)
    timestamp, nonce = args["timestamp"], args["nonce"]
    check_fresh(timestamp, max_age_s)
    wants_aes = args.get("encrypt_type", "raw").lower() == "aes"
    if mode == "safe" and not wants_aes:
        raise Rejected(403, "cleartext message refused in safe mode")
    if mode == "plain" or (mode == "compatible" and not wants_aes):
        try:
            xml = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "body is not UTF-8") from None
        root = _safe_tree(xml)
        if root.find("Encrypt") is None:
            return Inbound(_parse(xml), False, timestamp, nonce)
        if mode == "plain":
            raise Rejected(400, "encrypted message, but WECHAT_MODE is plain")
        # compatible: an Encrypt element is authoritative, with or without encrypt_type in the query

    if crypto is None:
        raise Rejected(400, "safe-mode message, but WECHAT_ENCODING_AES_KEY is not set")
    root = _safe_tree(body)
    msg_signature = args.get("msg_signature", "")
    encrypt = root.findtext("Encrypt")
    if not msg_signature:
        raise Rejected(403, "missing msg_signature")
    if not encrypt:
        raise Rejected(400, "no Encrypt element")
    if not _same(_signed(token, timestamp, nonce, encrypt), msg_signature):
        raise Rejected(403, "bad msg_signature")
    try:
        # Only the Encrypt element goes in: the cleartext fields beside it are never read.
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
