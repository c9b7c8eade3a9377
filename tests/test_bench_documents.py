"""``python -m bench.documents`` end to end on a tiny help centre: every part runs through the
product and prints the figures the issue asks for (a bench is run by hand, so nothing else would
notice it broke)."""

from __future__ import annotations

import json

import pytest

from bench import documents


def test_the_documents_bench_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--json", "--articles", "5", "--pages", "5", "--passages", "200", "--faq", "20"]
    documents.main([*argv, "--queries", "20", "--encoder", "none"])
    result = json.loads(capsys.readouterr().out)

    (run,) = result["runs"]
    assert run["markdown"]["counts"]["added"] == 5
    assert run["markdown"]["passages"] > 5
    assert run["site"]["counts"]["added"] == 5 and run["site"]["failures"] == []
    assert run["site"]["resync"]["counts"]["unchanged"] == 5
    assert run["site"]["resync"]["counts"]["changed"] == 0
    search = run["search"]
    assert search["passages"] >= 200 and search["faq_entries"] == 20
    assert search["all"]["n"] == 20 and search["all"]["p50_ms"] > 0
    assert search["by_kind"]["faq"]["top_is_expected"] == search["by_kind"]["faq"]["n"]
    for key in ("markdown.articles_per_s", "site.resync.fraction_of_import", "search.all.p50_ms"):
        assert result["spread"][key]["runs"] == 1
