"""FAISS indexes chosen by size: exact (flat) while that is fast, HNSW beyond a threshold.

Flat inner-product search costs ~5 ms per query at 100k vectors of 384 dims on 2 cores and ~50 ms
at 1M; HNSW answers in well under a millisecond there with recall@10 ≈ 0.99 (see `qabot bench`).
"""

from __future__ import annotations

import numpy as np


def choose_index_type(count: int, settings) -> str:
    if settings.index_type != "auto":
        return settings.index_type
    return "hnsw" if count >= settings.hnsw_threshold else "flat"


def build_vector_index(vectors: np.ndarray, settings) -> tuple[object, dict]:
    """A FAISS index over unit vectors (inner product = cosine) and the parameters that made it."""
    import faiss

    kind = choose_index_type(len(vectors), settings)
    dims = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dims, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
        params = {"type": "hnsw", "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction,
                  "ef_search": settings.hnsw_ef_search}
    else:
        index = faiss.IndexFlatIP(dims)
        params = {"type": "flat"}
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, params


def configure_loaded(index, params: dict, ef_search: int | None = None) -> None:
    """Search-time parameters are not stored in the FAISS file: set them again after reading it."""
    if params.get("type") == "hnsw":
        index.hnsw.efSearch = int(ef_search or params.get("ef_search", 64))


def search(index, queries: np.ndarray, k: int):
    """FAISS search with OpenMP pinned to one thread for the calling thread only.

    One query gains nothing from threads and stalls on a busy machine. OpenMP's thread count is
    a per-thread setting, so this leaves other threads (a torch build, other questions) alone
    and needs no restore; `Embedder.encode` sets its own count before building.
    """
    import faiss

    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)
    return index.search(queries, k)
