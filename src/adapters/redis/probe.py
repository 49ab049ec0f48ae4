"""`Probe` of Redis: one PING."""

from __future__ import annotations

from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.ports.probe import Finding


class RedisProbe:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self._url = url
        self._timeout = timeout
        parts = urlsplit(url)
        self._where = f"{parts.hostname or parts.path}:{parts.port or 6379}{parts.path if parts.hostname else ''}"

    async def check(self) -> Finding:
        client = Redis.from_url(self._url, socket_timeout=self._timeout, socket_connect_timeout=self._timeout)
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            return Finding("Redis", False, f"{self._where} did not answer ({type(exc).__name__})")
        finally:
            await client.aclose()
        return Finding("Redis", True, f"{self._where} answers")
