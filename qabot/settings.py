"""The one place configuration is read.

Sources, in rising priority: defaults < `config/qabot.toml` < `.env` < `QABOT_*` environment
variables < explicit values (command-line flags), so a flag always wins. The module is long only
because every setting is declared here with its default and the description `qabot config` shows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from qabot.errors import SettingsError

DEFAULT_CONFIG_FILE = Path("config/qabot.toml")
BUILTIN_CONFIGURATIONS = {
    "default": {},
    "dense": {"retrieval": {"mode": "dense"}},
    "bm25": {"retrieval": {"mode": "bm25"}},
}


def config_file_path() -> Path:
    """The TOML settings file: `QABOT_CONFIG` names another one."""
    return Path(os.environ.get("QABOT_CONFIG") or DEFAULT_CONFIG_FILE)


class Collection(BaseModel):
    """A named pair of folders: the documents and the index built from them."""

    sources: Path
    index: Path


class RetrievalSettings(BaseModel):
    """How passages are scored, fused, deduplicated and highlighted, and when qabot abstains."""

    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Which evidence ranks passages: dense vectors, BM25, or both fused."
    )
    # dense_weight and adaptive_weight: chosen together by leave-one-out over eval/dev.jsonl + eval/dev2.jsonl
    # (scripts/fit_dense_weight.py; every fold chose 0.4 and 1.0, out-of-fold figures in the README)
    dense_weight: float = Field(
        0.4, ge=0.0, le=1.0, description="Dense share of a hybrid score for a question whose best BM25 passage holds half its IDF mass."
    )
    adaptive_weight: float = Field(
        1.0, ge=0.0, description="Dense share added per unit of the question's IDF mass that BM25's best passage misses, "
        "around half (0 = a fixed dense_weight).",
    )
    fusion: Literal["convex", "minmax", "rrf"] = Field(
        "minmax", description="How dense and BM25 scores are mixed in hybrid mode."
    )
    rrf_k: int = Field(60, ge=1, description="The rank offset of reciprocal-rank fusion (fusion = rrf).")
    sentence_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of a passage's dense score given to its best sentence."
    )
    voice_bonus: float = Field(
        0.2, ge=0.0, description="Added to passages whose author or speaker the question names."
    )
    boilerplate_penalty: float = Field(
        0.1, ge=0.0, description="Subtracted, times how little a passage reads like prose, from its score."
    )
    context_weight: float = Field(
        0.5, ge=0.0, description="How much an earlier question steers a follow-up (vector and BM25)."
    )
    # fitted by leave-one-out over eval/conversations-seeds.jsonl (every fold chose 0.04; see README)
    locality_bonus: float = Field(
        0.04, ge=0.0, description="Added to a follow-up's candidates in the previous answer's document (twice in its section)."
    )
    # both fitted together by leave-one-out over eval/conversations-seeds*.jsonl (see README "Follow-ups")
    stands_alone_gap: float = Field(
        0.1, ge=0.0, description="A line naming nothing new whose best passage beats the previous answer's by this much (dense)…"
    )
    stands_alone_similarity: float = Field(
        0.25, description="…and whose cosine to the previous question (as read) is at most this, is a new topic."
    )
    candidates: int = Field(50, ge=5, description="Candidates taken from each retriever before fusion.")
    filter_depth: int = Field(
        20, ge=1, description="On approximate (IVF, HNSW) indexes a source filter searches this many times deeper."
    )
    sentence_depth: int = Field(
        3, ge=1, description="On approximate indexes, sentence candidates searched per passage candidate."
    )
    floor_sample: int = Field(
        500, ge=10, description="On approximate indexes, passages sampled to find typical scores for fusion."
    )
    duplicate_overlap: float = Field(
        0.7, gt=0.0, le=1.0, description="Word overlap (Jaccard) from which a passage repeats a better one."
    )
    highlight_term_weight: float = Field(
        0.3, ge=0.0, description="In picking the best sentence: weight of shared question terms beside similarity."
    )
    # abstention: fitted on eval/dev.jsonl + eval/dev2.jsonl with all-MiniLM-L6-v2 by
    # scripts/fit_abstention.py (leave-one-out figures in the README); another model or a very
    # different corpus may want a refit.
    abstain_below: float = Field(
        0.251, description="Abstain when the evidence (best dense score, bonuses, less the unknown-word and answer-type penalties) is below this; -1 = never."
    )
    name_bonus: float = Field(
        0.0, ge=0.0, description="Evidence added when the question's proper nouns all occur in the sources."
    )
    coverage_bonus: float = Field(
        0.0, ge=0.0, description="Evidence added when the best passages contain all of the question's words."
    )
    unknown_penalty: float = Field(
        0.05, ge=0.0, description="Evidence taken away when none of the question's words occur in the sources (IDF-weighted share)."
    )
    mismatch_penalty: float = Field(
        0.3, ge=0.0, description="Evidence taken away when a question asks for a number or date (or names numerals) "
        "that no sentence of its best passages offers beside its words.",
    )
    coverage_depth: int = Field(3, ge=1, description="How many of the best passages count for that coverage.")
    synonyms_file: Path | None = Field(
        None, description="Solr-format synonyms ('a, b, c' / 'a => b') for BM25; default <sources>/synonyms.txt."
    )
    alias_weight: float = Field(
        0.25, ge=0.0, description="Weight of the BM25 score of a question's aliases beside its own words' score."
    )
    mine_aliases: bool = Field(
        True, description="Also search 'Full Name' for 'ACRONYM' (and back) where the documents define one."
    )
    confidence_scale: float = Field(
        0.05, gt=0.0, description="Evidence units per logit when the margin over the threshold becomes a confidence."
    )
    # perspectives and corroboration: fitted on eval/perspectives.jsonl and eval/corroboration.jsonl
    # (`qabot eval --perspectives FILE --corroboration FILE` reports the out-of-fold figures and a refit).
    voice_dense_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="The one dense share of the fusion on which voices are judged (voice_bar was fitted on it).",
    )
    voice_bar: float = Field(
        0.66, description="A voice addresses a question when the mean of its two best fused scores, over "
        "the question's best fused score, reaches this.",
    )
    also_threshold: float = Field(
        0.85, description="Two sentences of different sources state the same claim when cosine + "
        "also_term_weight × shared-term overlap reaches this.",
    )
    also_term_weight: float = Field(0.8, ge=0.0, description="Weight of shared content terms in the same-claim score.")
    also_nprobe: int = Field(
        5, ge=1, description="On IVF indexes, lists searched per sentence for other sources stating the same claim "
        "(the question's own search uses indexing.ivf_nprobe).",
    )


class IndexingSettings(BaseModel):
    """How documents become passages and vectors, and which FAISS index holds them."""

    passage_target_chars: int = Field(
        450, ge=100, description="Passages are cut at a paragraph or sentence near this length."
    )
    passage_max_chars: int = Field(
        700, ge=150, description="No passage is longer than this (cut at a word boundary)."
    )
    passage_min_chars: int = Field(
        60, ge=1, description="A shorter passage (a lone heading) is joined to the next one."
    )
    sentence_min_chars: int = Field(
        40, ge=1, description="A shorter sentence is embedded together with its neighbour."
    )
    describe_voices: bool = Field(
        True, description="Add how a document introduces each author or speaker (role, affiliation) to their passages' context."
    )
    embed_batch_size: int = Field(64, ge=1, description="Passages embedded per batch (one model pass each).")
    build_encoder: Literal["torch", "onnx", "onnx-int8"] = Field(
        "torch", description="Model runtime for building: sentence-transformers' torch model (GPU when present), "
        "an ONNX export of it, or an int8-quantized ONNX export (faster, lossy).",
    )
    build_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Number format of the torch build encoder's matrix products: auto = bfloat16 where "
        "the CPU multiplies it in hardware (AMX or AVX-512 BF16: ~4x faster, vectors at cosine 0.9999 with "
        "float32 ones), else float32. The ONNX runtimes ignore it.",
    )
    sentence_vectors: Literal["separate", "pooled"] = Field(
        "separate", description="separate = each sentence encoded on its own; pooled = sentence vectors mean-pooled "
        "from the passage's own pass (one pass per passage, ~3x faster to build, lower retrieval quality).",
    )
    index_type: Literal["auto", "flat", "ivf", "hnsw"] = Field(
        "auto", description="auto = exact flat search below approximate_threshold vectors, IVF-SQ8 (memory-mapped) "
        "from there on; hnsw = FAISS HNSW (held in RAM).",
    )
    approximate_threshold: int = Field(
        50_000, ge=1, description="Dense vectors (passages plus sentences) from which `auto` builds an approximate index."
    )
    ivf_lists: int = Field(0, ge=0, description="IVF k-means lists; 0 = about 2 x sqrt(vectors).")
    ivf_nprobe: int = Field(16, ge=1, description="IVF lists searched per query (recall vs speed).")
    hnsw_m: int = Field(16, ge=4, description="HNSW graph degree.")
    hnsw_ef_construction: int = Field(40, ge=8, description="HNSW build-time search depth.")
    hnsw_ef_search: int = Field(192, ge=8, description="HNSW query-time search depth (recall vs speed).")
    query_threads: int = Field(2, ge=1, description="Threads the ONNX query encoder may use for one question.")
    watch_debounce_ms: int = Field(
        1000, ge=50, description="`qabot index --watch` waits this long after the last change before rebuilding."
    )


class ChatSettings(BaseModel):
    """Conversations (REPL, Discord): pages, context shown around an excerpt, input limits."""

    k: int = Field(3, ge=1, le=20, description="Excerpts per answer (and per page) in a conversation.")
    context_chars: int = Field(600, ge=50, description="Characters of surrounding text shown by :context.")
    max_line_chars: int = Field(10_000, ge=100, description="Longer input lines are cut to this length.")
    reload_seconds: float = Field(
        2.0, ge=0.0, description="How often a running frontend checks for a new index generation."
    )


class DiscordSettings(BaseModel):
    """The Discord bot (`qabot discord`): where it listens, how much it shows, how it protects itself."""

    guilds: list[int] = Field(
        default_factory=list,
        description="Server (guild) ids to sync the slash commands to at start (instant); empty = global (up to an hour).",
    )
    channels: list[int] = Field(
        default_factory=list,
        description="Channels where every message is a question (needs the Message Content intent).",
    )
    message_content: bool = Field(
        False, description="Ask for the Message Content intent even without `channels` (follow-ups in threads without a mention)."
    )
    button_timeout: float = Field(
        600.0, ge=1.0, description="Seconds an answer's buttons work before they are disabled (interaction edits expire after 900)."
    )
    rate_limit: int = Field(5, ge=1, description="Questions one user may ask per `rate_window` seconds.")
    rate_window: float = Field(30.0, gt=0.0, description="The rate limit's window in seconds.")
    max_conversations: int = Field(1000, ge=1, description="Thread conversations kept; the least recently used go first.")
    conversation_ttl: float = Field(
        86_400.0, gt=0.0, description="Seconds after its last message a thread conversation is forgotten."
    )
    workers: int = Field(2, ge=1, le=64, description="Questions answered at once (worker threads); the rest wait their turn.")


class ReadingSettings(BaseModel):
    """What of the sources folder is read: links out of it, and how much one file may hold."""

    follow_outside_links: bool = Field(
        False, description="Read files and folders that symbolic links in the sources folder point to outside it."
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this (MB) are skipped without being read.")
    max_pdf_pages: int = Field(2000, ge=1, description="PDFs with more pages are skipped.")
    max_html_depth: int = Field(512, ge=16, description="HTML nested deeper than this many elements is skipped.")
    max_extracted_chars: int = Field(
        50_000_000, ge=1000, description="HTML or PDF files whose extracted text is longer are skipped."
    )


class Settings(BaseSettings):
    """Everything a user can configure, with the default that qabot ships with.

    Tuning knobs are grouped (`retrieval`, `indexing`, `chat`, `reading`, `discord`): in TOML as tables (`[retrieval]`),
    in the environment with a double underscore (`QABOT_RETRIEVAL__DENSE_WEIGHT=0.6`).
    """

    model_config = SettingsConfigDict(
        env_prefix="QABOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    sources: Path = Field(Path("seeds"), description="Folder of source documents to index.")
    index: Path = Field(Path("embeddings"), description="Folder where the built index lives.")
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model: a known name or a local folder (never downloaded).",
    )
    k: int = Field(5, ge=1, le=100, description="Excerpts per answer of `qabot ask` (`--k`).")
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    cache_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qabot",
        description="Where exported query encoders are kept, one per model, shared by every index.",
    )
    state_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "qabot",
        description="Where the REPL keeps its history.",
    )

    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    indexing: IndexingSettings = Field(default_factory=IndexingSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    reading: ReadingSettings = Field(default_factory=ReadingSettings)

    # evaluation: named configurations are settings overrides that `qabot eval --compare` runs
    configurations: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: dict(BUILTIN_CONFIGURATIONS),
        description="Named configurations for `qabot eval --compare` (name → settings overrides).",
    )
    collections: dict[str, Collection] = Field(
        default_factory=dict,
        description="Named sources/index pairs, e.g. [collections.notes] sources = 'notes', index = 'notes-index'.",
    )

    discord_token: SecretStr | None = Field(None, description="Discord bot token (env or .env only).")
    discord: DiscordSettings = Field(default_factory=DiscordSettings)

    @field_validator("configurations")
    @classmethod
    def _keep_builtin_configurations(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A user's configurations come on top of the built-in ones (and may redefine them)."""
        return {**BUILTIN_CONFIGURATIONS, **value}

    @field_validator("model")
    @classmethod
    def _model_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the model name is empty")
        return value.strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_settings = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (init_settings, env_settings, dotenv_settings, toml_settings)

    def for_collection(self, name: str) -> Settings:
        """These settings pointed at the named collection's sources and index folders."""
        collection = self.collections.get(name)
        if collection is None:
            known = ", ".join(sorted(self.collections)) or "none are configured"
            raise SettingsError(f"unknown collection '{name}' (known collections: {known})")
        return self.model_copy(update={"sources": collection.sources, "index": collection.index})

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """These settings with `overrides` merged in (nested groups key by key), validated again."""
        merged = _deep_merge(self.model_dump(), overrides)
        try:
            return Settings.model_validate(merged)
        except ValidationError as error:
            raise SettingsError(f"invalid settings: {_problems(error)}") from None

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets shown as '**********'."""
        data = self.model_dump(mode="json")
        for name, value in self:
            if isinstance(value, SecretStr):
                data[name] = "**********" if value.get_secret_value() else None
        return data


def load_settings(collection: str | None = None, **overrides: Any) -> Settings:
    """Build the settings; `overrides` are command-line values (None means 'not given').

    `collection` names one of `collections`; its folders replace `sources` and `index`, so it
    cannot be combined with explicit `sources`/`index` values.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    if collection is not None and ({"sources", "index"} & set(given)):
        raise SettingsError("give either a collection or --sources/--index folders, not both")
    try:
        settings = Settings(**given)
        return settings.for_collection(collection) if collection is not None else settings
    except ValidationError as error:
        raise SettingsError(f"invalid settings: {_problems(error)}") from None
    except (OSError, ValueError) as error:  # unreadable or malformed TOML file
        raise SettingsError(f"cannot read settings file {config_file_path()}: {error}") from None


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors())


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
