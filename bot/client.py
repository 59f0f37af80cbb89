"""The Discord bot process: start-up in setup_hook, command sync, graceful shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import timedelta
from typing import Any

import discord
import yarl
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db import repositories as repo
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.migrate import upgrade
from bot.db.uow import unit_of_work
from bot.domain.frameworks import Catalogue
from bot.observability.interactions import count_interaction
from bot.observability.server import Observability
from bot.services.alerts import SafetyAlerts
from bot.services.clock import Clock, SystemClock
from bot.services.coaching import CoachingService
from bot.services.dashboard import DashboardService
from bot.services.dispatch import Dispatcher
from bot.services.guilds import GuildService
from bot.services.llm import ModelCoach
from bot.services.officehours import OfficeHoursService
from bot.services.privacy import PrivacyService
from bot.services.progress import ProgressService
from bot.services.reminders import ReminderActions, Reminders
from bot.services.schedules import Planner, ScheduleService
from bot.services.ticks import Ticks
from bot.tree import MentorTree
from bot.ui.alerts import DiscordAlerts
from bot.ui.components import ChoiceSelect, CoachButton, ScaleSelect
from bot.ui.dm_port import DiscordDMs
from bot.ui.threads import ThreadButton

log = logging.getLogger(__name__)
EXTENSIONS = (
    "cogs.admin",
    "cogs.coaching",
    "cogs.debrief",
    "cogs.general",
    "cogs.privacy",
    "cogs.dashboard",
    "cogs.progress",
    "cogs.officehours",
)
SYNC_KEY = "command_tree_hash"
DRAIN_SECONDS = 10.0


def point_at(settings: Settings) -> None:
    """Send REST and gateway traffic to a Discord-compatible server when one is configured."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def intents() -> discord.Intents:
    """The least the bot needs: guild events for the cache and DM messages for answers."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    return wanted


def shard_options(settings: Settings) -> dict[str, Any]:
    """discord.py's shard arguments: one shard of several, or every shard of SHARD_COUNT."""
    if settings.shard_id is not None:
        return {"shard_id": settings.shard_id, "shard_count": settings.shard_count}
    if isinstance(settings.shard_count, int):
        return {"shard_count": settings.shard_count}
    return {}  # one shard, or "auto": the count Discord advises at login


class MentorBot(commands.Bot):
    """The coaching bot: services are built in setup_hook, never at import or on_ready."""

    def __init__(
        self, settings: Settings, *, catalogue: Catalogue | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            tree_cls=MentorTree,
            allowed_mentions=discord.AllowedMentions.none(),
            # Every command works in servers and in the DM with the bot.
            allowed_contexts=discord.app_commands.AppCommandContext(guild=True, dm_channel=True),
            allowed_installs=discord.app_commands.AppInstallationType(guild=True),
            **shard_options(settings),
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.catalogue = catalogue or Catalogue.load(settings.frameworks_dir)
        self.engine: AsyncEngine | None = None
        self._coaching: CoachingService | None = None
        self.schedules: ScheduleService
        self.setups: GuildService
        self.progress: ProgressService
        self.dashboard: DashboardService
        self.privacy: PrivacyService
        self.officehours: OfficeHoursService
        self.reminder_actions: ReminderActions
        self.model: ModelCoach | None = None
        self.alerts: SafetyAlerts | None = None
        self.ticks = Ticks()
        self.observability: Observability | None = None
        self.add_listener(count_interaction, "on_interaction")

    @property
    def coaching(self) -> CoachingService:
        """The coaching service (ready once setup_hook has run)."""
        if self._coaching is None:
            raise RuntimeError("the bot is not set up yet")
        return self._coaching

    async def setup_hook(self) -> None:
        """Open the database, load cogs and persistent components, sync, start the ticks."""
        sessions = await self.prepare()
        if self.alerts is not None:
            # Every process delivers safety alerts, whether or not it runs the scheduler.
            self.alerts.start(DiscordAlerts(self))
        await self.sync_if_changed()
        if self.settings.scheduler_enabled:
            self._start_ticks(sessions)
        await self._start_observability()
        # Start-up leaves ~130,000 long-lived objects; a full collection over them stalls the
        # event loop for 60-120 ms. Freezing them keeps later collections short.
        gc.freeze()

    async def prepare(self) -> async_sessionmaker[AsyncSession]:
        """Migrate and open the database, build the services, load cogs and components."""
        url = self.settings.db_url
        await upgrade(url)
        self.engine = create_engine(url)
        sessions = create_sessionmaker(self.engine)
        zone = self.settings.default_timezone
        clock = self.clock
        self.setups = GuildService(sessions)
        # OPENAI_API_KEY or OPENAI_BASE_URL turns the model on; without them it stays None.
        self.model = ModelCoach.from_settings(self.settings)
        self.alerts = SafetyAlerts(sessions, self.catalogue, setups=self.setups, clock=clock)
        self._coaching = CoachingService(
            sessions,
            self.catalogue,
            clock=clock,
            default_timezone=zone,
            model=self.model,
            alerts=self.alerts,
        )
        self.schedules = ScheduleService(sessions, clock=clock)
        self.reminder_actions = ReminderActions(sessions, clock=clock)
        self.progress = ProgressService(sessions, clock=clock)
        self.dashboard = DashboardService(sessions, self.progress, clock=clock)
        self.privacy = PrivacyService(sessions, clock=clock)
        self.officehours = OfficeHoursService(sessions, clock=clock)
        self.dashboard.add_section(self.officehours.weekly.dashboard_section)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(CoachButton, ScaleSelect, ChoiceSelect, ThreadButton)
        return sessions

    def _start_ticks(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Run the planner and the outbox sender in this process."""
        zone = self.settings.default_timezone
        planner = Planner(sessions, clock=self.clock, default_timezone=zone)
        sender = Dispatcher(
            sessions,
            DiscordDMs(self),
            Reminders(sessions).compose,
            clock=self.clock,
            # Each process sending scheduled DMs takes its share of the bot's send budget.
            rate=self.settings.process_send_rate,
            lease=timedelta(seconds=self.settings.outbox_lease_seconds),
        )
        every = self.settings.planner_seconds
        # Office hours open and close on the minute: their tick runs at least every 10 seconds.
        office: Any = self.get_cog("OfficeHours")
        extra = {"officehours": (office.tick, min(every, 10.0))} if office else {}
        self.ticks.start(planner.tick, sender.run_once, planner_every=every, extra=extra)

    async def _start_observability(self) -> None:
        """Serve /healthz and /metrics when HEALTH_PORT is set."""
        port = self.settings.health_port
        if port is None:
            return
        observability = Observability.for_bot(self, port=port)
        await observability.start()
        self.observability = observability

    async def sync_if_changed(self) -> None:
        """Sync to the test guild every start; globally only when the commands changed."""
        if not self.settings.runs_shard_zero:
            # Several processes run the same commands: the one holding shard 0 syncs them.
            return
        tree: MentorTree = self.tree  # type: ignore[assignment]
        guild_id = self.settings.discord_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            tree.copy_global_to(guild=guild)
            await tree.sync(guild=guild)
            log.info("synced commands to guild %s", guild_id)
            return
        fingerprint = tree.fingerprint()
        async with unit_of_work(create_sessionmaker(self.engine)) as s:  # type: ignore[arg-type]
            if await repo.get_state(s, SYNC_KEY) == fingerprint:
                log.info("commands unchanged since the last sync")
                return
            await tree.sync()
            await repo.set_state(s, SYNC_KEY, fingerprint)
        log.info("synced commands globally")

    async def close(self) -> None:
        """Stop the ticks, close the gateway, then the database: nothing is left half-written."""
        if self.observability is not None:
            await self.observability.stop()
            self.observability = None
        await self.ticks.stop()
        if self.alerts is not None:
            await self.alerts.stop()
        await super().close()
        if self._coaching is not None:
            try:
                async with asyncio.timeout(DRAIN_SECONDS):
                    await self._coaching.drain()
            except TimeoutError:
                log.warning("closing with coaching turns still in progress")
        if self.model is not None:
            await self.model.aclose()
            self.model = None
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    async def on_ready(self) -> None:
        """Log the connection; nothing is set up here (it runs again on every reconnect)."""
        log.info("connected as %s to %d servers", self.user, len(self.guilds))


class ShardedMentorBot(MentorBot, commands.AutoShardedBot):
    """The same bot running every shard in one process (SHARD_COUNT without SHARD_ID)."""


def make_bot(settings: Settings) -> MentorBot:
    """Build the bot the sharding settings ask for."""
    if settings.shard_id is None and settings.shard_count is not None:
        return ShardedMentorBot(settings)
    return MentorBot(settings)


async def serve(settings: Settings) -> None:
    """Run the bot until it is closed or the process gets SIGTERM or SIGINT."""
    point_at(settings)
    bot = make_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    async with bot:
        running = asyncio.create_task(bot.start(token), name="bot")
        stopping = asyncio.create_task(stop.wait(), name="stop-signal")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            log.info("stopping: closing the gateway, finishing turns in progress")
            # Close inside this task so the database is disposed before the loop ends.
            await bot.close()
        else:
            stopping.cancel()
        await running


def run_bot(settings: Settings) -> int:
    """Start the bot in the foreground; return the exit code."""
    try:
        asyncio.run(serve(settings))
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN; check it on the Bot page of your application")
        return 1
    return 0


async def sync_commands(settings: Settings) -> int:
    """Log in over REST only, sync the command tree and record its hash."""
    point_at(settings)
    # A one-off sync serves no /healthz: the running bot may hold the port already.
    bot = MentorBot(settings.model_copy(update={"health_port": None}))
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    async with bot:
        await bot.login(token)  # login runs setup_hook, which syncs when needed
        tree: Any = bot.tree
        commands_synced = await tree.sync()
        print(f"synced {len(commands_synced)} commands")
    return 0
