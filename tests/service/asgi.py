"""The service app under test, in-process: httpx's ASGI transport with the app's lifespan running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from service import ServiceConfig, create_app


@asynccontextmanager
async def client(cfg: ServiceConfig) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(cfg)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
            yield c
