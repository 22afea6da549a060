"""Named configurations: settings overrides that `qabot eval --compare` runs side by side."""

from __future__ import annotations

from pathlib import Path

INDEX_KEYS = {"model", "indexing"}  # overriding these needs an index of its own


def configuration_settings(settings, name: str):
    """The settings of a named configuration: the base settings with its overrides merged in."""
    from qabot.errors import SettingsError

    if name not in settings.configurations:
        known = ", ".join(sorted(settings.configurations))
        raise SettingsError(f"unknown configuration '{name}'; known: {known}")
    overrides = dict(settings.configurations[name])
    if INDEX_KEYS & set(overrides) and "index" not in overrides:
        overrides["index"] = Path(f"{settings.index}-{name}")
    try:
        return settings.with_overrides(overrides)
    except SettingsError as error:
        raise SettingsError(f"configuration '{name}' is invalid: {error}") from None


def open_retrievers(settings, names: list[str], reporter=None) -> dict:
    """One retriever per configuration; configurations that share an index share its opened copy."""
    from qabot.retrieval import Retriever

    opened: dict[Path, Retriever] = {}
    retrievers = {}
    for name in names:
        config = configuration_settings(settings, name)
        key = Path(config.index).resolve()
        if key not in opened:
            opened[key] = Retriever.open(config, reporter)
        retrievers[name] = opened[key].with_settings(config)
    return retrievers
