"""Discord API objects as Discord sends them (API v10 shapes): users, guilds, channels, messages, interactions."""

from __future__ import annotations

import datetime
import itertools

EPOCH = 1420070400000  # Discord's epoch, in ms
_sequence = itertools.count(1)
ALL_PERMISSIONS = str((1 << 50) - 1)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

TEXT_CHANNEL, DM_CHANNEL, PUBLIC_THREAD = 0, 1, 11
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def snowflake() -> str:
    """A fresh, increasing id built like Discord's (milliseconds since its epoch, then a counter)."""
    now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    return str(((now_ms - EPOCH) << 22) | (next(_sequence) % (1 << 22)))


def timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def user(user_id: str, name: str, bot: bool = False) -> dict:
    data = {"id": user_id, "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
            "public_flags": 0, "flags": 0}
    if bot:
        data["bot"] = True
    return data


def member(user_data: dict) -> dict:
    return {"user": user_data, "roles": [], "joined_at": timestamp(), "deaf": False, "mute": False, "flags": 0,
            "pending": False, "nick": None, "avatar": None, "premium_since": None, "permissions": ALL_PERMISSIONS}


def text_channel(channel_id: str, guild_id: str, name: str) -> dict:
    return {"id": channel_id, "type": TEXT_CHANNEL, "guild_id": guild_id, "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None, "last_message_id": None,
            "rate_limit_per_user": 0, "default_auto_archive_duration": 1440}


def thread_channel(thread_id: str, guild_id: str, parent_id: str, owner_id: str, name: str, archive_minutes: int) -> dict:
    return {"id": thread_id, "type": PUBLIC_THREAD, "guild_id": guild_id, "parent_id": parent_id, "owner_id": owner_id,
            "name": name, "last_message_id": None, "member_count": 1, "message_count": 0, "total_message_sent": 0,
            "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": archive_minutes, "archive_timestamp": timestamp(),
                                "locked": False, "create_timestamp": timestamp()}}


def guild(guild_id: str, name: str, owner_id: str, channels: list[dict], members: list[dict]) -> dict:
    everyone = {"id": guild_id, "name": "@everyone", "color": 0, "colors": {"primary_color": 0}, "hoist": False,
                "position": 0, "permissions": ALL_PERMISSIONS, "managed": False, "mentionable": False, "flags": 0}
    return {"id": guild_id, "name": name, "icon": None, "owner_id": owner_id, "unavailable": False, "large": False,
            "member_count": len(members), "joined_at": timestamp(), "roles": [everyone], "emojis": [], "stickers": [],
            "features": [], "channels": channels, "threads": [], "members": members, "voice_states": [],
            "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "afk_timeout": 300, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_flags": 0, "premium_progress_bar_enabled": False}


def message(message_id: str, channel_id: str, author: dict, content: str, *, guild_id: str | None = None,
            mentions: list[dict] = (), embeds: list[dict] = (), components: list[dict] = (), flags: int = 0,
            message_type: int = 0, webhook_id: str | None = None, extra: dict | None = None) -> dict:
    data = {"id": message_id, "channel_id": channel_id, "author": author, "content": content, "timestamp": timestamp(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": list(mentions),
            "mention_roles": [], "attachments": [], "embeds": list(embeds), "pinned": False, "type": message_type,
            "flags": flags, "components": list(components)}
    if guild_id is not None:
        data["guild_id"] = guild_id
    if webhook_id is not None:
        data["webhook_id"] = webhook_id
    return data | (extra or {})


def interaction(interaction_id: str, application_id: str, kind: int, data: dict | None, token: str, *,
                guild_id: str, channel: dict, user_data: dict, message_data: dict | None = None) -> dict:
    """INTERACTION_CREATE's payload; `kind` 2 = slash command, 3 = component, 4 = autocomplete."""
    payload = {"id": interaction_id, "application_id": application_id, "type": kind, "token": token, "version": 1,
               "guild_id": guild_id, "guild": {"id": guild_id, "locale": "en-US", "features": []},
               "channel": channel | {"permissions": ALL_PERMISSIONS}, "channel_id": channel["id"],
               "member": member(user_data), "app_permissions": ALL_PERMISSIONS, "locale": "en-US",
               "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": guild_id},
               "context": 0, "attachment_size_limit": ATTACHMENT_SIZE_LIMIT}
    if data is not None:
        payload["data"] = data
    if message_data is not None:
        payload["message"] = message_data
    return payload
