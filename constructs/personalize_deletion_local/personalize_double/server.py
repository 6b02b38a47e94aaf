"""The HTTP side of the double: Personalize's awsJson 1.1 wire protocol on loopback.

Kept apart from the operations so the double's state and rules can be exercised without
sockets (``PersonalizeDouble.handle``) and the server stays about HTTP only.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET_PREFIX = "AmazonPersonalize."
CONTENT_TYPE = "application/x-amz-json-1.1"

Handle = Callable[[str | None, bytes], tuple[int, dict[str, Any]]]
"""``(X-Amz-Target, raw body) -> (HTTP status, JSON body)``."""


class Server:
    """A threaded HTTP server answering every POST through ``handle``; start and stop."""

    def __init__(self, handle: Handle, host: str, port: int) -> None:
        self._handle = handle
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and serve on a daemon thread; idempotent."""
        with self._lock:
            if self._server is not None:
                return
            server = ThreadingHTTPServer((self._host, self._port), _RequestHandler)
            server.daemon_threads = True
            server.handle = self._handle  # type: ignore[attr-defined]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="personalize-double",
                daemon=True,
            )
            self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``boto3.client(..., endpoint_url=...)``."""
        server = self._server
        if server is None:
            raise RuntimeError("PersonalizeDouble is not started; use start() or `with`")
        host, port = server.server_address[:2]
        if isinstance(host, bytes | bytearray):  # typeshed allows bytes; AF_INET gives str
            host = host.decode()
        return f"http://{host}:{port}"


class _RequestHandler(BaseHTTPRequestHandler):
    """Adapts HTTP to the handle function (:meth:`PersonalizeDouble.handle`).

    HTTP/1.1 with Content-Length so urllib3's connection pool can keep connections alive
    between boto3 calls, as it would against the real endpoint.
    """

    protocol_version = "HTTP/1.1"
    server_version = "PersonalizeDouble/1.0"

    def setup(self) -> None:
        """Disable Nagle: headers and body go out in two writes, and with Nagle on the
        second waits ~40 ms for the client's delayed ACK on every single call."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        handle: Handle = self.server.handle  # type: ignore[attr-defined]
        status, payload = handle(self.headers.get("X-Amz-Target"), raw_body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the double records calls itself."""
