"""What stands between a client and the endpoint's routes: the request guard (Host and Origin:
DNS rebinding and cross-origin writes) and the HTTP/1.1 protocol with a request timeout and a
connection cap (uvicorn's h11 protocol has neither). Apart from the routes (app) because it is
about who may connect and how long they may take, not about what a request asks.
"""

from __future__ import annotations

import h11
from fastapi.responses import Response


def text_response(status: int, message: str) -> Response:
    """A plain-text answer: the message and a line end."""
    return Response((message + "\n").encode("utf-8"), status_code=status, media_type="text/plain; charset=utf-8")


class RequestGuard:
    """ASGI middleware, outermost: a request whose Host is not this server's address is answered
    421 (DNS rebinding: a page on evil.com resolving to 127.0.0.1 sends Host: evil.com); a write
    (/classify) that a browser sends cross-origin is refused 403, its CORS preflight included."""

    WRITE_PATHS = ("/classify",)

    def __init__(self, app, settings):  # settings: app.Settings (the bound address, --allowed-host)
        self.app = app
        self.hosts = settings.allowed_hosts_with_port()
        self.origins = settings.own_origins()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.datastructures import Headers

        headers = Headers(scope=scope)
        host = headers.get("host", "").strip().lower()
        if host not in self.hosts:
            shown = host[:100] or "(none)"
            return await text_response(421, f"misdirected request: Host {shown} is not this server's address "
                                            f"(expected one of {', '.join(sorted(self.hosts))})")(scope, receive, send)
        path = scope.get("path", "").rstrip("/")
        if path in self.WRITE_PATHS:
            origin = headers.get("origin")
            if scope.get("method") == "OPTIONS":
                return await text_response(403, "cross-origin requests to /classify are not accepted")(scope, receive, send)
            if origin is not None and origin.strip().lower().rstrip("/") not in self.origins:
                return await text_response(403, f"cross-origin write refused: Origin {origin[:100]} is not this "
                                                "server's own origin")(scope, receive, send)
            if headers.get("sec-fetch-site", "").lower() == "cross-site":
                return await text_response(403, "cross-origin write refused (Sec-Fetch-Site: cross-site)")(scope, receive, send)
        return await self.app(scope, receive, send)


def raw_response(status: int, reason: str, message: str, retry_after: int | None = None) -> bytes:
    """A whole plain-text HTTP/1.1 response as bytes, for a connection answered before any request
    is parsed, and then closed."""
    body = (message + "\n").encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
            + (f"retry-after: {retry_after}\r\n" if retry_after else "") + "\r\n")
    return head.encode("ascii") + body


def guarded_protocol(header_timeout: float, max_connections: int):
    """uvicorn's h11 protocol with what uvicorn lacks (it only times out idle keep-alive connections,
    after a response, and caps nothing before a request's headers are complete):

    - a request timeout: from the moment a connection opens, or its previous response ends, the
      request line, headers and body must all arrive within `header_timeout` seconds; otherwise the
      client gets 408 (when it had begun a request and no response has started) and the connection
      is closed. A request whose body has fully arrived is not timed: the query's own time limit
      applies.
    - a connection cap: a connection opened while `max_connections` are open is answered 503
      (Retry-After: 1) and closed at once, before anything is read; the open ones keep being served.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    refusal = raw_response(503, "Service Unavailable", f"too many open connections (the server's cap is "
                                                        f"{max_connections}); retry shortly", retry_after=1)
    too_slow = raw_response(408, "Request Timeout", f"the request did not arrive within {header_timeout:g} s")

    class GuardedH11Protocol(H11Protocol):
        refused = False
        request_timer = None

        def connection_made(self, transport):
            if len(self.connections) >= max_connections:
                self.refused, self.transport = True, transport
                transport.write(refusal)
                transport.close()
                return
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc):
            self._disarm()
            if not self.refused:
                super().connection_lost(exc)

        def data_received(self, data):
            if self.refused:
                return
            super().data_received(data)
            if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE):  # the whole request is in
                self._disarm()

        def on_response_complete(self):
            super().on_response_complete()
            if self.transport.is_closing() or self.conn.their_state in (h11.DONE, h11.MUST_CLOSE):
                self._disarm()  # closing, or a pipelined request is already in
            else:
                self._arm()

        def _arm(self):
            self._disarm()
            self.request_timer = self.loop.call_later(header_timeout, self._timed_out)

        def _disarm(self):
            if self.request_timer is not None:
                self.request_timer.cancel()
                self.request_timer = None

        def _timed_out(self):
            self.request_timer = None
            if self.transport.is_closing():
                return
            no_response = self.cycle is None or not self.cycle.response_started
            if ((self.conn.their_state is h11.IDLE and self.conn.trailing_data[0])  # part of a new request
                    or (self.conn.their_state is h11.SEND_BODY and no_response)):  # part of its body
                self.transport.write(too_slow)
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the application sees the client gone
                self.cycle.message_event.set()
            self.transport.close()

    return GuardedH11Protocol
