"""Running the portal with uvicorn: in the foreground (``successkit serve``) or on a
background thread for a browser test, a load test or screenshots.

Both take share tokens out of uvicorn's access log (PORTAL_04).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from .safety import redact_access_log

__all__ = ["run", "running"]


def run(app: Any, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` until Ctrl-C."""
    redact_access_log()
    uvicorn.run(app, host=host, port=port, log_level="info")


@contextlib.contextmanager
def running(app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on a background thread while the block runs; yields its base URL.
    ``port=0`` takes a free port.  The server stops when the block ends."""
    redact_access_log()
    config = uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="successkit-portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the portal did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout)
