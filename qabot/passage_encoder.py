"""Passages → a passage vector and its sentence vectors, with every text of a build in
length-sorted batches (little padding computed) on a GPU when torch has one, else every core.

`separate` (the default) encodes each sentence on its own, as sentence-transformers would (same
vectors). `pooled` runs the transformer once over the passage's embedded text and makes each
sentence vector the mean of that pass's token embeddings over the sentence's characters: one
model pass per passage instead of ~3.3, but the vectors differ (mean cosine 0.74 with separate
ones on the seeds) and retrieval loses quality on eval/dev (README, "Scale"). The runtime is
torch, or an ONNX export of the same model (`onnx`; `onnx-int8` quantizes its matrix products per
output channel: cosine 0.99 with fp32 vectors, yet one dev question drops out of the top 5, README).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


# Fewer texts than one batch (a one-file rebuild) run on one thread: on a busy machine two threads
# took ~1.8x as long as one for a 7-passage file (32 texts), waiting for each other.
SMALL_RUN = 64


@dataclass(frozen=True)
class PassageText:
    """What is embedded for one passage, and where its sentences lie in that text (character spans)."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    sentence_texts: tuple[str, ...]  # each sentence on its own, encoded alone when its span is lost


def passage_text(document, passage) -> PassageText:
    """The passage's embedded text with its sentences' raw spans mapped into it (display offsets
    shifted past the context prefix). A sentence not found in it gets an empty span (encoded alone)."""
    from bisect import bisect_left

    from qabot.display import clean_with_offsets
    from qabot.passages import sentence_texts

    text, offsets = clean_with_offsets(document.text[passage.start : passage.end], passage.start)
    shift = passage.embed_text.rfind(text) if text else -1
    spans = []
    for start, end in passage.sentences:
        first, last = bisect_left(offsets, start), bisect_left(offsets, end)
        spans.append((shift + first, shift + last) if shift >= 0 and last > first else (0, 0))
    return PassageText(passage.embed_text, tuple(spans), tuple(sentence_texts(document, passage)))


class PassageEncoder:
    """Token embeddings of whole passages, mean-pooled over the passage and over each sentence."""

    def __init__(self, embedder, token_model=None, pooled: bool = False) -> None:
        from tokenizers import Tokenizer

        self.embedder = embedder
        self.dims = embedder.dims
        self.tokenizer = Tokenizer.from_file(str(embedder.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(embedder.max_tokens)
        self.token_model = token_model or TorchTokenModel(embedder)
        self.pooled = pooled
        self.precision = getattr(self.token_model, "precision", "float32")  # what the build reports

    def encode(
        self, passages: Sequence[PassageText], batch_size: int = 64, on_progress: Callable[[int], None] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(passage vector, sentence vectors) per passage, in input order; unit length, float32."""
        if not self.pooled:
            return self._encode_separately(passages, batch_size, on_progress)
        return self._encode_pooled(passages, batch_size, on_progress)

    def _encode_pooled(self, passages, batch_size, on_progress) -> list[tuple[np.ndarray, np.ndarray]]:
        """One pass per text; sentence vectors pooled from that pass's tokens over their spans."""
        encodings = self.tokenizer.encode_batch([p.text for p in passages])
        order = sorted(range(len(passages)), key=lambda i: len(encodings[i].ids))
        results: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(passages)
        threads = 1 if len(passages) < SMALL_RUN else max(1, len(os.sched_getaffinity(0)))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            hidden = self.token_model.run([encodings[i] for i in rows], threads)
            for slot, i in enumerate(rows):
                results[i] = self._pool(hidden[slot], encodings[i], passages[i])
            if on_progress:
                on_progress(len(rows))
        self._encode_lost_sentences(passages, results)
        return results  # type: ignore[return-value]

    def _encode_separately(self, passages, batch_size, on_progress) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each passage text and each sentence text as its own unit, all in one length-sorted run."""
        units = [PassageText(text, (), ()) for p in passages for text in (p.text, *p.sentence_texts)]
        counted = (lambda n: on_progress(max(1, n * len(passages) // max(len(units), 1)))) if on_progress else None
        vectors = [vector for vector, _ in self._encode_pooled(units, batch_size, counted)]
        results, row = [], 0
        for passage in passages:
            count = len(passage.sentence_texts)
            results.append((vectors[row], np.array(vectors[row + 1 : row + 1 + count], np.float32).reshape(count, self.dims)))
            row += 1 + count
        return results

    def _pool(self, hidden: np.ndarray, encoding, passage: PassageText) -> tuple[np.ndarray, np.ndarray]:
        """Passage = mean over all its tokens (as sentence-transformers pools); sentence = mean over
        the tokens inside its span. A sentence cut off by truncation gets a zero row (filled later)."""
        count = len(encoding.ids)
        hidden = hidden[:count].astype(np.float32)
        sums = np.vstack([np.zeros((1, hidden.shape[1]), np.float32), np.cumsum(hidden, axis=0)])
        special = np.asarray(encoding.special_tokens_mask, dtype=bool)
        offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        starts = np.where(special, -1, offsets[:, 0])
        ends = np.where(special, -1, offsets[:, 1])
        sentences = np.zeros((len(passage.sentences), hidden.shape[1]), np.float32)
        for number, (start, end) in enumerate(passage.sentences):
            inside = np.flatnonzero((ends > start) & (starts < end) & (starts >= 0))
            if inside.size:
                low, high = int(inside[0]), int(inside[-1]) + 1
                sentences[number] = (sums[high] - sums[low]) / (high - low)
        return _unit(sums[count] / count), _unit_rows(sentences)

    def _encode_lost_sentences(self, passages: Sequence[PassageText], results: list) -> None:
        """Sentences past the model's token limit are encoded on their own (rare: very long passages)."""
        lost = [(i, n) for i, (_, s) in enumerate(results) for n in range(len(s)) if not s[n].any()]
        if not lost:
            return
        texts = [passages[i].sentence_texts[n] for i, n in lost]
        for (i, n), vector in zip(lost, self.embedder.encode(texts)):
            results[i][1][n] = vector


def native_bfloat16() -> bool:
    """True when this CPU multiplies bfloat16 matrices in hardware (AMX tiles or AVX-512 BF16).

    There oneDNN runs the encoder ~4x faster than in float32 (README "Scale"), with vectors at cosine
    ≥ 0.9999 with float32 ones; elsewhere torch emulates bfloat16, slower than float32."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")  # private, so looked up defensively
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


class TorchTokenModel:
    """The sentence-transformers transformer, on the GPU when torch has one, else on every core;
    a bfloat16 copy of it when `precision` asks for one, or is "auto" on a CPU that has bfloat16 in
    hardware (whole-model bfloat16 was 11-19 % faster than autocast's float32 sums and norms, at
    the same dev, dev2 and corpus2 metrics; the embedder's own model stays float32 for queries)."""

    def __init__(self, embedder, precision: str = "float32") -> None:
        import copy

        import torch

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        automatic = precision == "auto" and self.device == "cpu" and native_bfloat16()
        self.precision = "bfloat16" if precision == "bfloat16" or automatic else "float32"
        model = embedder.model[0].auto_model  # stays on the CPU in float32: the ONNX export and queries use it
        if self.precision == "bfloat16":
            model = copy.deepcopy(model).to(self.device, torch.bfloat16)
        elif self.device == "cuda":
            model = copy.deepcopy(model).to(self.device)
        self.model = model.eval()

    def run(self, encodings, threads: int) -> np.ndarray:
        torch = self.torch
        torch.set_num_threads(threads)
        ids, mask, types = padded(encodings)
        with torch.inference_mode():
            hidden = self.model(
                input_ids=torch.from_numpy(ids).to(self.device), attention_mask=torch.from_numpy(mask).to(self.device),
                token_type_ids=torch.from_numpy(types).to(self.device),
            ).last_hidden_state
        return hidden.float().cpu().numpy()


def padded(encodings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, attention_mask, token_type_ids of a batch, padded to its longest member."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        size = len(encoding.ids)
        ids[row, :size] = encoding.ids
        mask[row, :size] = 1
        types[row, :size] = encoding.type_ids
    return ids, mask, types


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.where(norms > 0, rows / np.maximum(norms, 1e-12), 0).astype(np.float32)


class OnnxTokenModel:
    """An (int8-quantized) ONNX export of the transformer, run by onnxruntime on every core."""

    def __init__(self, path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, encodings, threads: int) -> np.ndarray:  # threads are fixed when the session is made
        ids, mask, types = padded(encodings)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]


INT8_FILE = "tokens-int8-channel.onnx"


def onnx_token_model(embedder, folder, quantized: bool = False) -> object:
    """`folder/tokens.onnx` (and its int8 twin): the transformer's token embeddings, exported
    (and quantized) once per model."""
    import warnings
    from pathlib import Path

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from qabot.storage import staged_folder

    folder = Path(folder)
    target = folder / (INT8_FILE if quantized else "tokens.onnx")
    if target.is_file():
        return target
    if folder.exists():  # exported before without the file wanted now: export again
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    transformer = embedder.model[0].auto_model.cpu().eval()

    class Tokens(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"tokens": {0: "batch", 1: "tokens"}}
    sample = embedder.model.tokenizer(["a b", "c"], padding=True, return_tensors="pt")
    with staged_folder(folder) as staging:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Tokens().eval(), tuple(sample[n] for n in names), str(staging / "tokens.onnx"), input_names=names,
                output_names=["tokens"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )
        quantize_dynamic(  # per output channel: cosine with fp32 0.99 on the seeds, per tensor only 0.95
            str(staging / "tokens.onnx"), str(staging / INT8_FILE), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    return target


@lru_cache(maxsize=4)
def load_passage_encoder(model_name: str, runtime: str, sentences: str, cache_dir, precision: str) -> PassageEncoder:
    """One passage encoder per model and runtime per process (`--watch` rebuilds reuse it). Called
    through `build_passage_encoder`: a call with other arguments (a default left out) is another
    cache entry, a second copy of the model."""
    from pathlib import Path

    from qabot.embedder import load_embedder, model_fingerprint

    embedder = load_embedder(model_name)
    pooled = sentences == "pooled"
    if runtime.startswith("onnx"):
        folder = Path(cache_dir) / "build-encoders" / model_fingerprint(embedder.path)
        model = OnnxTokenModel(onnx_token_model(embedder, folder, quantized=runtime == "onnx-int8"))
        return PassageEncoder(embedder, model, pooled)
    return PassageEncoder(embedder, TorchTokenModel(embedder, precision), pooled)


def build_passage_encoder(settings) -> PassageEncoder:
    """The passage encoder `settings.indexing` asks for (one per process, see `load_passage_encoder`)."""
    indexing = settings.indexing
    return load_passage_encoder(
        settings.model, indexing.build_encoder, indexing.sentence_vectors, settings.cache_dir, indexing.build_precision
    )
