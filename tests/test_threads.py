"""Thread counts are explicit: searching never changes torch's count, and each caller gets the count it asked for."""
from __future__ import annotations

import shutil
import threading

import numpy as np

from fixtures import make_kb


def test_a_search_on_a_new_thread_keeps_the_torch_thread_count(built_kb_home, tmp_path):
    """Loading a generation and searching it used to call faiss's global omp_set_num_threads(1), which silently
    dropped torch's count on that thread from KB_TORCH_THREADS to 1 for every later encoding."""
    import torch

    home = tmp_path / "kb"
    shutil.copytree(built_kb_home, home)
    kb = make_kb(home, torch_threads=2, query_encoder="torch")
    seen: dict[str, int] = {}

    def request() -> None:  # a web request thread: torch sets its count when the thread first encodes
        kb.search("methadone dose", k=3)
        seen["after first"] = torch.get_num_threads()
        kb.search("buprenorphine induction", k=3)
        seen["after second"] = torch.get_num_threads()

    before = torch.get_num_threads()
    try:
        worker = threading.Thread(target=request)
        worker.start()
        worker.join()
    finally:
        torch.set_num_threads(before)
    assert seen == {"after first": 2, "after second": 2}


def test_vector_search_restores_the_callers_openmp_count():
    import faiss

    from index.vectors import VectorIndex

    vectors = np.random.default_rng(0).standard_normal((50, 8)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex.build(vectors, hnsw_threshold=10**6)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        scores, ids = index.search(vectors[3], 5)
        assert faiss.omp_get_max_threads() == 2
    finally:
        faiss.omp_set_num_threads(before)
    assert ids[0] == 3 and len(scores) == 5


def test_get_embedder_honours_threads_after_the_first_call(embedder):
    from index.embedder import get_embedder

    one, two = get_embedder("", 1), get_embedder("", 2)
    assert (one.threads, two.threads) == (1, 2)
    assert get_embedder("", 2) is two
    assert one.model is two.model  # the weights are loaded once per model, whatever the thread counts
