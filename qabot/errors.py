"""Every error a user can see. Frontends catch `QabotError` once and print its message."""


class QabotError(Exception):
    """Base class: the message is written for the user, without a traceback."""


class BadQuestionError(QabotError):
    """The question is empty, too long, or holds no text once control characters are removed."""


class SourcesError(QabotError):
    """The sources folder is missing, empty, or holds nothing that can be read."""


class UnknownSourceError(QabotError):
    """A `--source` filter names no indexed document."""


class IndexMissingError(QabotError):
    """No index has been built in the index folder yet."""


class IndexCorruptError(QabotError):
    """The index on disk cannot be read or is inconsistent with itself."""


class IndexStaleError(QabotError):
    """The index was built from other sources, another model or other settings."""


class ModelError(QabotError):
    """The embedding model cannot be found locally or cannot be loaded (nothing is downloaded)."""


class SettingsError(QabotError):
    """A settings file or value is invalid."""


class BadOffsetsError(QabotError):
    """A `qabot show` range is not inside the document (or ends before it starts)."""


class DiscordTokenError(QabotError):
    """The Discord bot token is missing, malformed or rejected by Discord."""
