"""A query answer sent as the worker writes it (query.workers.Stream): chunked transfer encoding, no
Content-Length, never the whole answer in the server's memory.

The status (200) and headers go before the answer is complete, so an answer that cannot be
completed (the query's time limit passed while it streamed, its worker was stopped for a waiting
query or ran out of memory, or it failed midway) cannot change them: the response then ends
*without* the final zero-length chunk and the connection is closed. Every HTTP client sees that
as an incomplete body (curl: "transfer closed with outstanding read data remaining"; Python's
http.client and httpx: RemoteProtocolError / IncompleteRead); the server logs the reason. A client
that leaves mid-answer stops the query, and its worker is replaced.
"""

from __future__ import annotations

import logging

import anyio
import anyio.to_thread
from starlette.responses import StreamingResponse
from starlette.types import Send

log = logging.getLogger("dorsum.serve")


class StreamedAnswer(StreamingResponse):
    def __init__(self, stream, limiter: anyio.CapacityLimiter):
        self.stream = stream  # query.workers.Stream
        super().__init__(self._chunks(limiter), media_type=stream.media_type)

    async def _chunks(self, limiter):
        while (chunk := await anyio.to_thread.run_sync(self.stream.next_chunk, limiter=limiter)) is not None:
            yield chunk

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # also when the client left (the task is cancelled), maybe before the first chunk
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.stream.close)  # the worker back to the pool, or replaced

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self.stream.complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:  # no final chunk: uvicorn closes the connection, and the client sees the answer cut short
            log.warning("a streamed query answer was cut short: %s", self.stream.failure)
