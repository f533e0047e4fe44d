"""Rasa's calls to the action server over one kept connection pool instead of a connection each.

Why it exists: Rasa 3.6 makes every call to an endpoint (`EndpointConfig.request`) in a
ClientSession of its own, so each action call (a park question makes two: the language
slot's mapping, then the answer) opens and closes a TCP connection. Profiled under
`make bench` (ops/profiles/), connecting was ~4% of the Rasa server. Here each endpoint
keeps one aiohttp session per event loop until the server stops
(`rasa.core.run.close_resources`), so connections to the action server are reused
(keep-alive: rasa-sdk keeps an idle one 120 s, aiohttp lets go after 15 s, so the client
always closes first). Headers, authentication, timeout, errors and the returned JSON are
Rasa's. `rasa_ext.launch` installs it before Rasa starts.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any

_original: dict[str, Any] = {}
_sessions: list = []  # every session made, to close when the server stops


def _session(endpoint):
    """The endpoint's kept session on the running loop: Rasa's session settings, made once."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    kept = endpoint.__dict__.get("_rasa_ext_session")
    if kept is not None and kept[0] is loop and not kept[1].closed:
        return kept[1]
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    # limit=0: no cap on parallel calls, as with one session per call.
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(limit=0),
    )
    endpoint._rasa_ext_session = (loop, session)
    _sessions.append(session)
    return session


async def close_sessions() -> None:
    """Close every kept session (when the server stops)."""
    while _sessions:
        session = _sessions.pop()
        if not session.closed:
            await session.close()


async def request(
    self,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """EndpointConfig.request, in the endpoint's kept session instead of a new one."""
    from aiohttp.client_exceptions import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    async with _session(self).request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


async def close_resources(app, loop) -> None:
    """rasa.core.run.close_resources, then the kept sessions."""
    try:
        await _original["close_resources"](app, loop)
    finally:
        await close_sessions()


def install() -> None:
    import rasa.core.run
    from rasa.utils.endpoints import EndpointConfig

    if _original:
        return
    _original["close_resources"] = rasa.core.run.close_resources
    EndpointConfig.request = request
    rasa.core.run.close_resources = close_resources
