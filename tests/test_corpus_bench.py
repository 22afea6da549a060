"""`qabot bench --corpus`: a generated folder built and answered end to end, its figures printed."""

import json


def test_bench_corpus_builds_a_generated_folder_and_times_real_asks(tmp_path, capsys):
    from qabot.cli import main

    folder = tmp_path / "corpus"
    assert main(["bench", "--corpus", "300", "--synthetic-vectors", "--json", "--corpus-dir", str(folder)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 250 <= result["corpus_passages"] <= 350 and result["corpus_files"] >= 1
    assert result["vector_index"]["type"] == "flat"  # a small folder is searched exactly
    assert 0 < result["cold_ask_s_median"] <= result["cold_ask_s_max"]
    assert result["cold_ask_rss_mb"] > 50  # a whole `qabot ask` process, measured from outside it
    assert 0 < result["warm_ask_p50_ms"] <= result["warm_ask_p99_ms"]
    assert result["index_disk_mb"] > 0 and (folder / "index" / "CURRENT").exists()


def test_generated_text_is_about_half_function_words_that_bm25_drops(tmp_path):
    from qabot.corpus_bench import FUNCTION_WORDS, write_corpus
    from qabot.lexical import STOPWORDS, tokenize

    write_corpus(tmp_path, 300)
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted(tmp_path.iterdir()))
    words = text.lower().replace(".", " ").split()
    assert set(FUNCTION_WORDS) <= STOPWORDS
    assert 0.4 <= sum(w in FUNCTION_WORDS for w in words) / len(words) <= 0.6
    assert not set(tokenize(text)) & set(FUNCTION_WORDS)
    assert len(set(words) - set(FUNCTION_WORDS)) > 3000  # distinct content words, not a few recycled ones
