"""FAISS indexes chosen by size: exact (flat) while that is cheap, IVF with 8-bit codes beyond.

Below `indexing.approximate_threshold` vectors (passage plus sentence vectors) dense search is an
exact numpy product and no FAISS file is written, so small folders rank exactly as before. From
there `auto` builds IVF-SQ8 (k-means lists, one byte per dimension): its file is memory-mapped when
read (`IO_FLAG_MMAP`), so a question touches only the lists it probes and a million passages open
in constant time and memory; retrieval rescores the rows found with the exact vectors. HNSW stays
available (`index_type = "hnsw"`) but lives in RAM (~1.6 KB per vector), ~6.5 GB at a million
passages. IVF-PQ was measured too: on this 2-core machine its training took minutes where SQ8's
takes seconds, at lower recall (README "Scale").
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

ADD_CHUNK = 100_000  # rows added at a time: vectors may be a memory map larger than RAM
HNSW_QUANTIZER_LISTS = 1024
TRAINING_ROWS_PER_LIST = 40  # k-means needs no more (FAISS warns below 39)


def choose_index_type(count: int, settings) -> str:
    """The index type for a corpus of `count` dense vectors (passages and sentences together)."""
    if settings.index_type != "auto":
        return settings.index_type
    return "ivf" if count >= settings.approximate_threshold else "flat"


def ivf_lists(count: int, settings) -> int:
    """Number of k-means lists: `ivf_lists`, or about 2·√count (a few hundred to thousands of rows each)."""
    if settings.ivf_lists:
        return max(1, min(settings.ivf_lists, count))
    return int(max(1, min(count // TRAINING_ROWS_PER_LIST or 1, round(2 * np.sqrt(count)))))


def build_vector_index(vectors: np.ndarray, settings, kind: str | None = None) -> tuple[object, dict]:
    """A FAISS index over unit vectors (inner product = cosine) and the parameters that made it."""
    index, params = train_vector_index(vectors, settings, kind)
    fill_vector_index(index, vectors)
    return index, params


def train_vector_index(vectors: np.ndarray, settings, kind: str | None = None) -> tuple[object, dict]:
    """An empty FAISS index ready for `vectors` (an IVF's k-means trained on a sample of them)."""
    import faiss

    kind = kind or choose_index_type(len(vectors), settings)
    dims = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dims, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
        params = {"type": "hnsw", "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction,
                  "ef_search": settings.hnsw_ef_search}
    elif kind == "ivf":
        lists = ivf_lists(len(vectors), settings)
        # many lists: an HNSW over the centroids assigns each vector in log time instead of `lists` products
        quantizer = "_HNSW32" if lists >= HNSW_QUANTIZER_LISTS else ""
        index = faiss.index_factory(dims, f"IVF{lists}{quantizer},SQ8", faiss.METRIC_INNER_PRODUCT)
        index.train(_training_sample(vectors, lists))
        params = {"type": "ivf", "lists": lists, "codes": "SQ8", "nprobe": settings.ivf_nprobe, "trained_rows": len(vectors)}
    else:
        index = faiss.IndexFlatIP(dims)
        params = {"type": "flat"}
    return index, params


def fill_vector_index(index, vectors: np.ndarray) -> None:
    for first in range(0, len(vectors), ADD_CHUNK):
        index.add(np.ascontiguousarray(vectors[first : first + ADD_CHUNK], dtype=np.float32))


TRAINED_SUFFIX = ".trained.faiss"  # beside `NAME.faiss`: the IVF before any vector was added
RETRAIN_DRIFT = 1.25  # retrain when the vector count has grown or shrunk by more than this factor


def write_trained(index, params: dict, path: Path) -> None:
    """Keep an empty trained IVF (its centroids and 8-bit ranges, a few MB) so that a rebuild which
    changes a few files adds to it instead of running k-means again (~7 of a ~10 s one-file rebuild at
    30,000 passages)."""
    import json

    import faiss

    if params.get("type") == "ivf" and index.ntotal == 0:
        faiss.write_index(index, str(path))
        path.with_suffix(".json").write_text(json.dumps(params), encoding="utf-8")


def read_trained(path: Path, count: int, dims: int, settings) -> tuple[object, dict] | None:
    """The empty trained IVF a previous build kept at `path`, when it suits `count` vectors of `dims`
    (trained on within `RETRAIN_DRIFT`× as many, with the list count `settings.ivf_lists` asks for when
    it names one); else None (train afresh). Never fails a build."""
    import json

    import faiss

    try:
        params = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        trained_rows = int(params["trained_rows"])
        if params.get("type") != "ivf" or not trained_rows / RETRAIN_DRIFT <= count <= trained_rows * RETRAIN_DRIFT:
            return None
        if settings.ivf_lists and int(params["lists"]) != ivf_lists(count, settings):
            return None
        index = faiss.read_index(str(path))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None
    if index.d != dims or index.ntotal != 0 or not index.is_trained:
        return None
    return index, params


def _training_sample(vectors: np.ndarray, lists: int) -> np.ndarray:
    """A fixed random sample of rows for k-means, read from a memory map row by row."""
    wanted = min(len(vectors), TRAINING_ROWS_PER_LIST * lists)
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), size=wanted, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def write_vector_index(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def read_vector_index(path: Path, params: dict, ef_search: int | None = None):
    """Read a FAISS file for searching: IVF lists memory-mapped (pages read as lists are probed).

    Search-time parameters are not stored in the FAISS file: they are set again here."""
    import faiss

    kind = params.get("type")
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP if kind == "ivf" else 0)
    if kind == "hnsw":
        index.hnsw.efSearch = int(ef_search or params.get("ef_search", 64))
    elif kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = int(params.get("nprobe", 32))
    return index


def search(index, queries: np.ndarray, k: int, nprobe: int | None = None):
    """FAISS search with OpenMP pinned to one thread for the calling thread only; `nprobe`, on an
    IVF index, probes that many lists for this search only (the index is shared by every thread,
    so its own `nprobe` is never changed).

    One query gains nothing from threads and stalls on a busy machine. OpenMP's thread count is
    a per-thread setting, so this leaves other threads (a torch build, other questions) alone
    and needs no restore; `Embedder.encode` sets its own count before building.
    """
    import faiss

    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)
    if isinstance(index, faiss.IndexIVF):
        return _search_ivf(index, queries, k, index.nprobe if nprobe is None else nprobe)
    return index.search(queries, k)


def _search_ivf(index, queries: np.ndarray, k: int, nprobe: int):
    """An IVF search as its two steps, the coarse quantizer then the scan of the lists it assigned.

    `IndexIVF.search` does the same with a prefetch of the lists in between, which on memory-mapped
    lists (`OnDiskInvertedLists`) starts a pool of threads for pages the scan reads anyway: the same
    results ~20–25 % faster without it (1M passages, 4,000 lists, 20 queries × 16 lists: 26–30 vs
    34–35 ms; one query: 1.5 vs 2.1 ms)."""
    import faiss

    if nprobe > index.nprobe or index.nprobe > index.nlist:
        # the assignment must be `index.nprobe` wide, and FAISS reads it `min(nprobe, nlist)` wide
        return index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=nprobe))
    distances, lists = index.quantizer.search(queries, index.nprobe)
    lists[:, nprobe:] = -1  # FAISS skips negative list numbers
    return index.search_preassigned(queries, k, lists, distances)


@functools.cache
def numpy_blas_on_one_thread() -> None:
    """Put numpy's own BLAS (not FAISS's, not torch's) on one thread, once per process.

    A question's matrix products are small; OpenBLAS threads left spinning after each one took the
    second core from the ONNX query encoder running right after it (2 quiet cores, 216 fresh
    questions, two interleaved runs: warm ask p50 20.5 / 23.7 → 14.0 / 14.8 ms). Only the library loaded from numpy's own
    folder is touched, so a FAISS IVF training or a torch build keeps its threads."""
    from threadpoolctl import ThreadpoolController

    numpy_folder = f"{Path(np.__file__).parent.name}.libs"
    for library in ThreadpoolController().lib_controllers:
        if library.user_api == "blas" and numpy_folder in Path(library.filepath).parent.name:
            library.set_num_threads(1)
