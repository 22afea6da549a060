"""The REST routes of the fake Discord (API v10 paths), each `(fake, record, **path params) → (status, body)`."""

from __future__ import annotations

import time

from . import payloads as p
from .server import DEADLINE, check_message

ID = r"(?P<{}>\d+)"
ROUTES = [
    ("GET", r"/users/@me", "get_me"),
    ("GET", r"/oauth2/applications/@me", "get_application"),
    ("GET", r"/gateway/bot", "get_gateway_bot"),
    ("GET", r"/gateway", "get_gateway"),
    ("PUT", r"/applications/\d+/commands", "put_global_commands"),
    ("PUT", r"/applications/\d+/guilds/" + ID.format("guild_id") + "/commands", "put_guild_commands"),
    ("POST", r"/interactions/" + ID.format("interaction_id") + r"/(?P<token>[^/]+)/callback", "interaction_callback"),
    ("POST", r"/webhooks/\d+/(?P<token>[^/]+)", "create_followup"),
    ("GET", r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message_id>\d+|@original)", "get_webhook_message"),
    ("PATCH", r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message_id>\d+|@original)", "edit_webhook_message"),
    ("DELETE", r"/webhooks/\d+/(?P<token>[^/]+)/messages/(?P<message_id>\d+|@original)", "delete_webhook_message"),
    ("POST", r"/channels/" + ID.format("channel_id") + "/messages", "create_message"),
    ("PATCH", r"/channels/" + ID.format("channel_id") + "/messages/" + ID.format("message_id"), "edit_message"),
    ("DELETE", r"/channels/" + ID.format("channel_id") + "/messages/" + ID.format("message_id"), "delete_message"),
    ("POST", r"/channels/" + ID.format("channel_id") + "/messages/" + ID.format("message_id") + "/threads", "start_thread"),
    ("POST", r"/channels/" + ID.format("channel_id") + "/typing", "typing"),
]
UNKNOWN_INTERACTION = 404, {"message": "Unknown interaction", "code": 10062}
UNKNOWN_WEBHOOK = 404, {"message": "Unknown Webhook", "code": 10015}
UNKNOWN_MESSAGE = 404, {"message": "Unknown Message", "code": 10008}
UNKNOWN_CHANNEL = 404, {"message": "Unknown Channel", "code": 10003}
EDITABLE = ("content", "embeds", "components", "allowed_mentions", "flags")


async def get_me(fake, record):
    return 200, fake.bot


async def get_application(fake, record):
    return 200, {"id": fake.application_id, "name": "qabot", "icon": None, "description": "", "summary": "",
                 "bot_public": True, "bot_require_code_grant": False, "owner": fake.users["alice"], "team": None,
                 "verify_key": "0" * 64, "flags": 0, "rpc_origins": [], "redirect_uris": [],
                 "interactions_endpoint_url": None, "approximate_guild_count": 1, "bot": fake.bot}


async def get_gateway_bot(fake, record):
    return 200, {"url": fake.gateway_url, "shards": 1,
                 "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}}


async def get_gateway(fake, record):
    return 200, {"url": fake.gateway_url}


def _synced(fake, guild_id, commands: list[dict]) -> list[dict]:
    synced = []
    for command in commands:
        entry = {"id": p.snowflake(), "application_id": fake.application_id, "version": p.snowflake(), "type": 1,
                 "default_member_permissions": None, "nsfw": False, "options": []} | command
        if guild_id is not None:
            entry["guild_id"] = guild_id
        synced.append(entry)
    fake.commands[guild_id] = synced
    return synced


async def put_global_commands(fake, record):
    return 200, _synced(fake, None, record.body)


async def put_guild_commands(fake, record, guild_id):
    return 200, _synced(fake, guild_id, record.body)


# ---------------------------------------------------------------------------- interactions


async def interaction_callback(fake, record, interaction_id, token):
    interaction = fake.interactions.get(interaction_id)
    if interaction is None or interaction.token != token or time.monotonic() - interaction.created > DEADLINE:
        return UNKNOWN_INTERACTION
    if interaction.response_type is not None:
        return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
    kind, data = record.body["type"], record.body.get("data") or {}
    if kind in (4, 7):
        refused = check_message(data) if kind == 4 else None
        if refused:
            return refused
    interaction.response_type, interaction.responded = kind, time.monotonic()
    message = None
    if kind == 4:
        interaction.answered = interaction.responded
    if kind in (4, 5):  # a message (or a "thinking…" placeholder) answers the interaction
        flags = (data.get("flags") or 0) & p.EPHEMERAL | (p.LOADING if kind == 5 else 0)
        message = _new_message(fake, interaction.channel_id, data if kind == 4 else {}, flags, interaction,
                               message_type=20 if interaction.kind == 2 else 0)
        interaction.original_id = message["id"]
    elif kind == 7:  # the clicked message is edited
        message = fake.messages[interaction.message_id]
        message.update({key: data[key] for key in EDITABLE if key in data})
    elif kind == 8:
        interaction.choices = data.get("choices", [])
        if len(interaction.choices) > 25 or any(len(c["name"]) > 100 or len(str(c["value"])) > 100 for c in interaction.choices):
            return 400, {"code": 50035, "message": "Invalid Form Body"}
    if record.query.get("with_response") not in ("1", "true", "True"):
        return 204, None
    answer = {"interaction": {"id": interaction.id, "type": interaction.kind,
                              "response_message_loading": kind == 5,
                              "response_message_ephemeral": bool(message and message["flags"] & p.EPHEMERAL)}}
    if message is not None:
        answer["interaction"]["response_message_id"] = message["id"]
        answer["resource"] = {"type": kind, "message": message}
    return 200, answer


def _by_token(fake, token):
    interaction = next((i for i in fake.interactions.values() if i.token == token), None)
    return interaction if interaction is not None and interaction.response_type is not None else None


def _new_message(fake, channel_id, data, flags, interaction=None, message_type=0):
    author = fake.bot
    message = p.message(p.snowflake(), channel_id, author, data.get("content") or "", guild_id=fake.guild_id,
                        embeds=data.get("embeds") or [], components=data.get("components") or [], flags=flags,
                        message_type=message_type, webhook_id=fake.application_id if interaction else None,
                        extra={"allowed_mentions": data.get("allowed_mentions")})
    if interaction is not None:
        message["application_id"] = fake.application_id
        message["interaction_metadata"] = {"id": interaction.id, "type": interaction.kind, "user": interaction.user,
                                           "authorizing_integration_owners": {"0": fake.guild_id}}
        if flags & p.EPHEMERAL:
            fake.visible_only_to[message["id"]] = interaction.user["id"]
    fake.messages[message["id"]] = message
    return message


async def create_followup(fake, record, token):
    interaction = _by_token(fake, token)
    if interaction is None:
        return UNKNOWN_WEBHOOK
    body = record.body or {}
    refused = check_message(body)
    if refused:
        return refused
    if interaction.answered is None:
        interaction.answered = time.monotonic()
    original = fake.messages.get(interaction.original_id or "")
    if original is not None and original["flags"] & p.LOADING:  # the first follow-up replaces "thinking…"
        original.update({key: body[key] for key in EDITABLE if key in body and key != "flags"})
        original["flags"] &= ~p.LOADING
        message = original
    else:
        message = _new_message(fake, interaction.channel_id, body, (body.get("flags") or 0) & p.EPHEMERAL, interaction)
        interaction.followup_ids.append(message["id"])
    return (200, message) if record.query.get("wait") in ("1", "true", "True") else (204, None)


def _webhook_message(fake, token, message_id):
    interaction = _by_token(fake, token)
    if interaction is None:
        return None
    message_id = interaction.original_id if message_id == "@original" else message_id
    if message_id not in [interaction.original_id, *interaction.followup_ids]:
        return None
    return fake.messages.get(message_id)


async def get_webhook_message(fake, record, token, message_id):
    message = _webhook_message(fake, token, message_id)
    return (200, message) if message else UNKNOWN_MESSAGE


async def edit_webhook_message(fake, record, token, message_id):
    message = _webhook_message(fake, token, message_id)
    if message is None:
        return UNKNOWN_MESSAGE
    refused = check_message({**message, **record.body})
    if refused:
        return refused
    message.update({key: record.body[key] for key in EDITABLE if key in record.body and key != "flags"})
    message["flags"] &= ~p.LOADING
    message["edited_timestamp"] = p.timestamp()
    return 200, message


async def delete_webhook_message(fake, record, token, message_id):
    message = _webhook_message(fake, token, message_id)
    if message is None:
        return UNKNOWN_MESSAGE
    del fake.messages[message["id"]]
    return 204, None


# ---------------------------------------------------------------------------- channels


async def create_message(fake, record, channel_id):
    if channel_id not in fake.channels:
        return UNKNOWN_CHANNEL
    refused = check_message(record.body)
    if refused:
        return refused
    reference = record.body.get("message_reference")
    message = _new_message(fake, channel_id, record.body, 0, message_type=19 if reference else 0)
    if reference:
        message["message_reference"] = reference
    if fake.channels[channel_id].get("guild_id") is None:
        del message["guild_id"]
    await fake.dispatch("MESSAGE_CREATE", message)
    return 200, message


async def edit_message(fake, record, channel_id, message_id):
    message = fake.messages.get(message_id)
    if message is None or message["channel_id"] != channel_id:
        return UNKNOWN_MESSAGE
    if message["author"]["id"] != fake.bot["id"]:
        return 403, {"message": "Cannot edit a message authored by another user", "code": 50005}
    refused = check_message({**message, **record.body})
    if refused:
        return refused
    message.update({key: record.body[key] for key in EDITABLE if key in record.body and key != "flags"})
    message["edited_timestamp"] = p.timestamp()
    return 200, message


async def delete_message(fake, record, channel_id, message_id):
    message = fake.messages.get(message_id)
    if message is None or message["channel_id"] != channel_id:
        return UNKNOWN_MESSAGE
    del fake.messages[message_id]
    return 204, None


async def start_thread(fake, record, channel_id, message_id):
    channel = fake.channels.get(channel_id)
    message = fake.messages.get(message_id)
    if channel is None or message is None or message["channel_id"] != channel_id:
        return UNKNOWN_MESSAGE if channel else UNKNOWN_CHANNEL
    if channel["type"] != p.TEXT_CHANNEL:
        return 400, {"message": "Cannot execute action on this channel type", "code": 50024}
    if fake.refuse_threads:
        return 403, {"message": "Missing Permissions", "code": 50013}
    if "thread" in message:
        return 400, {"message": "A thread has already been created for this message", "code": 160004}
    name = record.body.get("name") or ""
    if not 1 <= len(name) <= 100:
        return 400, {"code": 50035, "message": "Invalid Form Body", "errors": {"name": "1 to 100 characters"}}
    thread = p.thread_channel(message_id, fake.guild_id, channel_id, fake.bot["id"], name,
                              record.body.get("auto_archive_duration") or 1440)
    fake.channels[thread["id"]] = message["thread"] = thread
    await fake.dispatch("THREAD_CREATE", thread | {"newly_created": True})
    return 201, thread


async def typing(fake, record, channel_id):
    return (204, None) if channel_id in fake.channels else UNKNOWN_CHANNEL
