"""A fake Discord (REST + gateway on 127.0.0.1) for testing the bot with the real discord.py client."""

from .harness import TOKEN, Harness
from .limits import problems

__all__ = ["Harness", "TOKEN", "problems"]
