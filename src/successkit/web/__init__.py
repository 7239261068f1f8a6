"""The portal: shared-plan pages and internal pages as an ASGI app (PORTAL_01-04).

Needs the ``web`` extra (``pip install 'successkit[web]'``): Starlette, Jinja2 and
uvicorn.  The rest of successkit never imports this package, so the core runs
without them.  ``app(kit)`` returns the application; a host mounts it::

    from starlette.applications import Starlette
    from starlette.routing import Mount
    import successkit.web

    host = Starlette(routes=[Mount("/portal", app=successkit.web.app(kit, user=current_user_id))])
"""

from __future__ import annotations

from .app import LINK_STATUS, PortalPage, UserOf, app
from .safety import RedactTokens, redact, redact_access_log

__all__ = ["LINK_STATUS", "PortalPage", "RedactTokens", "UserOf", "app", "redact", "redact_access_log"]
