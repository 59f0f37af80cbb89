"""A small HTTP endpoint beside the bot: /healthz for orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.observability.database import DatabaseProbe
from bot.observability.health import HealthMonitor, gateway_check, scheduler_check
from bot.observability.metrics import exposition

if TYPE_CHECKING:
    from bot.client import MentorBot

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 3.0


class HealthServer:
    """Serve a monitor's report and the metrics on one host and port."""

    def __init__(self, monitor: HealthMonitor, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.monitor = monitor
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The aiohttp application with both routes."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        """Listen; with port 0 the system picks a free port, kept in `port`."""
        # No access log: an orchestrator probing every few seconds would drown the real lines.
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info(
            "health and metrics on http://%s:%d",
            self.host,
            self.port,
            extra={"event": "health_server", "port": self.port},
        )

    async def stop(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        """The base URL, for tests and logs."""
        return f"http://{self.host}:{self.port}"

    async def _healthz(self, _request: web.Request) -> web.Response:
        report = self.monitor.report()
        return web.json_response(report.as_json(), status=200 if report.healthy else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        self.monitor.report()  # refresh the health gauges for this scrape
        return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


class Observability:
    """The bot's monitor, its database probe and the HTTP server, started and stopped together."""

    def __init__(self, monitor: HealthMonitor, server: HealthServer, probe: DatabaseProbe) -> None:
        self.monitor = monitor
        self.server = server
        self._probe = probe

    @classmethod
    def for_bot(cls, bot: MentorBot, *, port: int) -> Observability:
        """Build the three checks from a bot whose database is open."""
        settings = bot.settings
        probe = DatabaseProbe(settings.db_url, fallback=bot.engine)
        every = settings.health_check_seconds
        monitor = HealthMonitor(
            instant={
                "gateway": gateway_check(bot),
                "scheduler": scheduler_check(bot.ticks, enabled=settings.scheduler_enabled),
            },
            probes={"database": probe},
            every=every,
            timeout=min(PROBE_TIMEOUT, every),
        )
        return cls(monitor, HealthServer(monitor, host=settings.health_host, port=port), probe)

    async def start(self) -> None:
        """Start probing, then listening."""
        self.monitor.start()
        try:
            await self.server.start()
        except OSError:
            await self.monitor.stop()
            await self._probe.close()
            raise

    async def stop(self) -> None:
        """Stop listening and probing, and close the probe's connections."""
        await self.server.stop()
        await self.monitor.stop()
        await self._probe.close()
