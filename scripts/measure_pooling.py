"""One-pass (pooled) sentence vectors against separately encoded ones, and build throughput.

    .venv/bin/python scripts/measure_pooling.py [folder ...] [--runs 3] [--onnx]

Splits the folders' documents as a build does, then times (same process, same machine load):
separate encoding as builds did before (sentence-transformers, batches of 64 texts), the same
texts in one length-sorted run (float32 and bfloat16), and one pass per passage (pooled sentences); prints
passages/s for each and the cosine of pooled sentence vectors with separately encoded ones.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qabot.embedder import load_embedder  # noqa: E402
from qabot.freshness import listed_sources  # noqa: E402
from qabot.passage_encoder import PassageEncoder, TorchTokenModel, passage_text  # noqa: E402
from qabot.passages import sentence_texts, split_document  # noqa: E402
from qabot.scan import ReadLimits  # noqa: E402
from qabot.sources import load_manifest, read_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", default=["seeds"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--onnx", action="store_true", help="also time the ONNX token models (fp32 and int8)")
    args = parser.parse_args()
    pairs = []
    for folder in map(Path, args.folders):
        metadata = load_manifest(folder)
        for source, path in listed_sources(folder, ReadLimits()).items():
            document = read_document(path, source, metadata.get(source))
            pairs.extend((document, p) for p in split_document(document))
    embedder = load_embedder("all-MiniLM-L6-v2")
    texts = []
    for document, passage in pairs:
        texts.append(passage.embed_text)
        texts.extend(sentence_texts(document, passage))
    items = [passage_text(d, p) for d, p in pairs]
    bfloat16 = TorchTokenModel(embedder, "bfloat16")
    encoders = {
        "sorted torch": PassageEncoder(embedder), "sorted torch bf16": PassageEncoder(embedder, bfloat16),
        "pooled torch": PassageEncoder(embedder, pooled=True), "pooled torch bf16": PassageEncoder(embedder, bfloat16, pooled=True),
    }
    if args.onnx:
        from qabot.passage_encoder import OnnxTokenModel, onnx_token_model

        cache = Path("/tmp/qabot-onnx-build")
        fp32 = OnnxTokenModel(onnx_token_model(embedder, cache / "fp32"))
        int8 = OnnxTokenModel(onnx_token_model(embedder, cache / "int8", quantized=True))
        encoders["sorted onnx"] = PassageEncoder(embedder, fp32)
        encoders["sorted onnx-int8"] = PassageEncoder(embedder, int8)
        encoders["pooled onnx"] = PassageEncoder(embedder, fp32, pooled=True)
        encoders["pooled onnx-int8"] = PassageEncoder(embedder, int8, pooled=True)
    print(f"{len(pairs)} passages, {len(texts)} texts separately ({len(texts) / len(pairs):.2f} per passage)")
    timings: dict[str, list[float]] = {"separate": []}
    timings.update({name: [] for name in encoders})
    outputs = {}
    for _ in range(args.runs):
        started = time.perf_counter()
        separate = embedder.encode(texts, 64)
        timings["separate"].append(time.perf_counter() - started)
        for name, encoder in encoders.items():
            started = time.perf_counter()
            outputs[name] = encoder.encode(items, 64)
            timings[name].append(time.perf_counter() - started)
    reference = []
    row = 0
    for document, passage in pairs:
        count = len(passage.sentences)
        reference.append((separate[row], separate[row + 1 : row + 1 + count]))
        row += 1 + count
    base = len(pairs) / min(timings["separate"])
    for name, seconds in timings.items():
        rate = len(pairs) / min(seconds)
        print(f"{name:20s} passages/s best {rate:7.1f}  runs {[round(len(pairs) / s, 1) for s in seconds]}  ×{rate / base:.2f}")
    for name, result in outputs.items():
        passage_cos = [float(a @ b) for (a, _), (b, _) in zip(result, reference)]
        sentence_cos = np.concatenate([np.sum(a * b, axis=1) for (_, a), (_, b) in zip(result, reference)])
        print(f"{name}: passage cosine mean {np.mean(passage_cos):.4f} min {np.min(passage_cos):.4f}; "
              f"sentence cosine mean {sentence_cos.mean():.4f} p5 {np.percentile(sentence_cos, 5):.4f} min {sentence_cos.min():.4f}")


if __name__ == "__main__":
    main()
