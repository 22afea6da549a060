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
