"""A small Discord on 127.0.0.1: the REST routes a bot uses and one gateway websocket.

It behaves as Discord does where a bot could tell the difference: JSON with content type exactly
`application/json`, interactions that must be acknowledged within 3 s and only once, the first
follow-up after a "thinking" defer replacing the loading message, message limits enforced with
400/50035, message content withheld from a bot without the Message Content intent unless the
bot is mentioned, threads whose id is their starter message's. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from . import payloads as p
from .limits import is_empty, problems

API = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15
DEADLINE = 3.0  # seconds Discord allows before an interaction must be acknowledged


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    body: object
    at: float
    status: int = 0
    route: str | None = None  # the handler that served it; None = a route this fake does not know


@dataclass
class FakeInteraction:
    """The fake's record of one interaction: what the bot answered, and when."""

    id: str
    token: str
    kind: int
    user: dict
    channel_id: str
    created: float
    message_id: str | None = None  # the message a clicked component sits on
    response_type: int | None = None
    responded: float | None = None  # when the callback arrived
    answered: float | None = None  # when the first complete message (not "thinking…") arrived
    original_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    choices: list[dict] | None = None

    @property
    def delay(self) -> float | None:
        return None if self.responded is None else self.responded - self.created

    @property
    def answer_delay(self) -> float | None:
        return None if self.answered is None else self.answered - self.created


class FakeDiscord:
    def __init__(self, token: str, message_content_allowed: bool = True) -> None:
        self.token = token
        self.message_content_allowed = message_content_allowed
        self.bot = p.user(p.snowflake(), "qabot", bot=True)
        self.application_id = self.bot["id"]  # a bot user's id is its application's id
        self.users = {name: p.user(p.snowflake(), name) for name in ("alice", "bob", "carol")}
        self.guild_id = p.snowflake()
        self.channels: dict[str, dict] = {}
        for name in ("general", "questions"):
            channel = p.text_channel(p.snowflake(), self.guild_id, name)
            self.channels[channel["id"]] = channel
        self.general, self.questions = list(self.channels)
        self.messages: dict[str, dict] = {}
        self.visible_only_to: dict[str, str] = {}  # ephemeral message id → user id
        self.interactions: dict[str, FakeInteraction] = {}
        self.commands: dict[str | None, list[dict]] = {}  # guild id (None = global) → synced commands
        self.requests: list[Recorded] = []
        self.refuse_threads = False  # as if the bot lacked the Create Public Threads permission
        self.identify: dict | None = None
        self.gateway_query: dict = {}
        self._ws: web.WebSocketResponse | None = None
        self._sequence = 0
        self._runner: web.AppRunner | None = None
        self._routes = self._route_table()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.api_base = f"http://127.0.0.1:{port}{API}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws, self.gateway_query = ws, dict(request.query)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            data = json.loads(frame.data)
            if data["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif data["op"] == 2:
                await self._identified(ws, data["d"])
        return ws

    async def _identified(self, ws: web.WebSocketResponse, identify: dict) -> None:
        self.identify = identify
        if identify.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if identify.get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content_allowed:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        ready = {"v": 10, "user": self.bot, "guilds": [{"id": self.guild_id, "unavailable": True}],
                 "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
                 "application": {"id": self.application_id, "flags": 0}, "private_channels": [], "relationships": []}
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        await self.dispatch("READY", ready)
        members = [p.member(self.bot)] + [p.member(u) for u in self.users.values()]
        await self.dispatch("GUILD_CREATE", p.guild(self.guild_id, "Test server", self.users["alice"]["id"],
                                                    [c for c in self.channels.values() if c["type"] == p.TEXT_CHANNEL], members))

    async def dispatch(self, event: str, data: dict) -> None:
        self._sequence += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data}))

    @property
    def intents(self) -> int:
        return (self.identify or {}).get("intents", 0)

    # ------------------------------------------------------------------ REST

    def _route_table(self):
        from . import routes

        table = []
        for method, pattern, handler in routes.ROUTES:
            table.append((method, re.compile("^" + pattern + "$"), getattr(routes, handler)))
        return table

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body = await _body(request)
        record = Recorded(request.method, path, dict(request.query), body, time.monotonic())
        self.requests.append(record)
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if method == request.method and match:
                record.route = handler.__name__
                needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    status, data = 401, {"message": "401: Unauthorized", "code": 0}
                else:
                    status, data = await handler(self, record, **match.groupdict())
                break
        else:
            status, data = 404, {"message": "404: Not Found", "code": 0}
        record.status = status
        if data is None:
            return web.Response(status=status)
        headers = {"Content-Type": "application/json"}
        if status == 429:
            headers["Via"] = "1.1 google"
        return web.Response(status=status, body=json.dumps(data).encode(), headers=headers)

    # ------------------------------------------------------------------ what tests read

    @property
    def unknown_routes(self) -> list[Recorded]:
        return [r for r in self.requests if r.route is None]

    def rejected(self) -> list[Recorded]:
        """Requests Discord would have refused for their content (limits, empty messages, late answers)."""
        return [r for r in self.requests if r.status in (400, 404) and not r.path.startswith("/users/")]

    def messages_in(self, channel_id: str, seen_by: str | None = None) -> list[dict]:
        """The channel's messages in order, as `seen_by` (a user id) sees them: others' ephemerals hidden."""
        return [m for m in self.messages.values() if m["channel_id"] == channel_id
                and self.visible_only_to.get(m["id"], seen_by) == seen_by]

    async def wait_until(self, condition, timeout: float = 15.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def _body(request: web.Request):
    if not request.can_read_body:
        return None
    if request.content_type == "multipart/form-data":
        form = await request.post()
        return json.loads(form["payload_json"]) if "payload_json" in form else {}
    text = await request.text()
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def check_message(body: dict) -> tuple[int, dict] | None:
    """Discord's answer to a message payload it refuses, or None when it accepts it."""
    found = problems(body)
    if found:
        return 400, {"code": 50035, "message": "Invalid Form Body", "errors": found}
    if is_empty(body):
        return 400, {"code": 50006, "message": "Cannot send an empty message"}
    return None
