"""Question → vector without torch: the embedding model exported to ONNX at index time.

`import sentence_transformers` alone costs ~7 s on small machines; onnxruntime + tokenizers load
in a fraction of that. The exported graph includes mean pooling and L2 normalisation, and is
checked against sentence-transformers when it is written, so both give the same vectors.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import warnings
from pathlib import Path

import numpy as np

from qabot.storage import staged_folder

ENCODER_PREFIX = "encoder-"
OPTIMIZED_NAME = "model.opt.onnx"
PARITY_TEXTS = (
    "What did the alliance decide to do?",
    "Peacekeepers arrived within days to guard airports and power stations.",
    "A much longer sentence that goes on " * 30,
)


def cached_encoder(model_name: str, folder: Path) -> Path:
    """`folder` holding the exported encoder of `model_name`, exported now if it is not there yet."""
    if not (folder / "model.onnx").is_file():
        from qabot.embedder import load_embedder

        shutil.rmtree(folder, ignore_errors=True)
        try:
            export_query_encoder(load_embedder(model_name), folder)
        except OSError:
            if not (folder / "model.onnx").is_file():  # not a concurrent export that won the rename
                raise
    ensure_optimized(folder)
    return folder


def ensure_optimized(folder: Path) -> None:
    """Save the graph as onnxruntime optimizes it (fused attention, layer norms) beside `model.onnx`,
    once, at index time: a session then opens it without optimizing again, ~0.3 s less per cold
    `qabot ask`. "Extended" optimizations only (no hardware-specific layouts); checked against
    the plain graph, and skipped (plain graph used) if onnxruntime cannot write it."""
    target = folder / OPTIMIZED_NAME
    if target.is_file() or not (folder / "model.onnx").is_file():
        return
    import onnxruntime

    staging = folder / f".tmp-{os.getpid()}-{OPTIMIZED_NAME}"
    try:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(staging)
        plain = OnnxQueryEncoder(folder, 1, optimized=False)
        onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        optimized = OnnxQueryEncoder(folder, 1, model=staging)
        if all(float(plain.encode_query(t) @ optimized.encode_query(t)) >= 0.9999 for t in PARITY_TEXTS):
            os.replace(staging, target)
    except Exception as error:  # noqa: BLE001 — an optimization, never a reason to fail indexing
        print(f"qabot: could not save an optimized query encoder ({type(error).__name__})", file=sys.stderr)
    finally:
        staging.unlink(missing_ok=True)


def export_query_encoder(embedder, folder: Path) -> None:
    """Write model.onnx + tokenizer.json + encoder.json into `folder` atomically (tmp folder + rename)."""
    import torch

    tokenizer_file = embedder.path / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise ValueError(f"{embedder.path} has no tokenizer.json")
    transformer = embedder.model[0].auto_model

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    with staged_folder(folder) as staging:
        sample = embedder.model.tokenizer(["a b", "c"], padding=True, return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled().eval(), tuple(sample[n] for n in names), str(staging / "model.onnx"),
                input_names=names, output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )
        shutil.copy(tokenizer_file, staging / "tokenizer.json")
        (staging / "encoder.json").write_text(
            json.dumps({"model": embedder.name, "dims": embedder.dims, "max_tokens": embedder.max_tokens}), encoding="utf-8"
        )
        onnx_encoder = OnnxQueryEncoder(staging)
        reference = embedder.encode(list(PARITY_TEXTS))
        for text, expected in zip(PARITY_TEXTS, reference):
            if float(onnx_encoder.encode_query(text) @ expected) < 0.9999:
                raise ValueError("the exported model does not reproduce sentence-transformers' vectors")


class OnnxQueryEncoder:
    """onnxruntime + tokenizers: the same vectors as sentence-transformers for one text at a time."""

    def __init__(self, folder: Path, threads: int = 2, optimized: bool = True, model: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.dims = int(config["dims"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(config["max_tokens"]))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # a spinning worker took the second core from the search and BM25 running beside and after
        # each run (1M passages, load ~3.3, 200 paired asks: warm p50 85.5 → 45.6 ms, same answers)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        if model is None and optimized and (folder / OPTIMIZED_NAME).is_file():
            model = folder / OPTIMIZED_NAME
        if model is not None:  # optimized already (see ensure_optimized): opening it skips that work
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        path = model or folder / "model.onnx"
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode_query(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        vector = self.session.run(None, feeds)[0][0].astype(np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Several texts in one run, padded to the longest (the attention mask keeps the padding out
        of every vector: the same vectors as one at a time, to float rounding)."""
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        feeds = {
            name: np.array([getattr(e, field) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
            for name, field in (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))
        }
        vectors = self.session.run(None, feeds)[0].astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def load_query_encoder(index_dir: Path, name: str | None, model_name: str, threads: int = 2):
    """The ONNX encoder `name` beside the generations; sentence-transformers (slow to start) if unusable.

    Both are safe to call from several threads at once: an onnxruntime session's `run` and a
    tokenizers `Tokenizer.encode` are re-entrant, and sentence-transformers' `encode` runs the
    model without shared mutable state."""
    if name:
        try:
            return OnnxQueryEncoder(index_dir / name, threads)
        except Exception as error:  # missing or damaged files: answer anyway, just slower
            print(f"qabot: fast query encoder unusable ({type(error).__name__}); using sentence-transformers", file=sys.stderr)
    from qabot.embedder import load_embedder

    return load_embedder(model_name)


class EncoderPreload:
    """The current generation's manifest and the ONNX encoder it names, read and opened on a thread.

    A cold question spends ~0.2 s opening the encoder, and as long again importing, walking the
    sources folder and opening the index at a million passages; onnxruntime builds its session
    mostly without holding Python's lock, so on two cores the two overlap. The manifest read here
    is the one the main thread checks freshness with (`current`); the encoder is handed over only
    if the index finally opened names the same one (a rebuild may link another)."""

    def __init__(self, index_dir: Path, threads: int = 2) -> None:
        self.index_dir, self._threads = index_dir, threads
        self._current, self._encoder = None, None
        self._read = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qabot-encoder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from qabot.manifest import read_current

        try:
            self._current = read_current(self.index_dir)
        except Exception:  # missing or unreadable: the main thread's own reading says why
            self._current = None
        finally:
            self._read.set()
        name = self._current[1].query_encoder if self._current else None
        try:
            self._encoder = OnnxQueryEncoder(self.index_dir / name, self._threads) if name else None
        except Exception:  # unusable: the ordinary load reports it and falls back (load_query_encoder)
            self._encoder = None

    def current(self):
        """`read_current(index_dir)` as the thread read it: (generation folder, manifest), or None."""
        self._read.wait()
        return self._current

    def wait(self) -> None:
        """Let the thread finish: a process must not unwind (an error, Ctrl-C) while it is inside
        onnxruntime, whose teardown at exit would race it."""
        self._thread.join()

    def result(self, index_dir: Path, name: str | None) -> OnnxQueryEncoder | None:
        """The preloaded encoder if it is the one `name` (the opened index's) names, else None."""
        self.wait()
        if self._current is None or index_dir != self.index_dir or name != self._current[1].query_encoder:
            return None
        return self._encoder


def link_query_encoder(settings, fingerprint: str) -> str | None:
    """The folder name (beside the generations) of the ONNX query encoder for this model.

    Exported once per model into the cache and linked into each index, so indexes stand alone
    and a new index of a known model costs no export. None if the model cannot be exported."""
    name = f"{ENCODER_PREFIX}{fingerprint}"
    target = settings.index / name
    if (target / "model.onnx").is_file():
        ensure_optimized(target)  # an index linked before optimized graphs were saved
        return name
    try:
        cached = cached_encoder(settings.model, settings.cache_dir / "encoders" / fingerprint)
    except Exception as error:  # an exotic model: queries fall back to sentence-transformers
        print(f"qabot: could not export a fast query encoder ({error}); queries will load sentence-transformers",
              file=sys.stderr)
        return None
    shutil.rmtree(target, ignore_errors=True)
    with staged_folder(target) as staging:
        for file in cached.iterdir():
            try:
                os.link(file, staging / file.name)
            except OSError:  # another file system: copy
                shutil.copy2(file, staging / file.name)
    return name
