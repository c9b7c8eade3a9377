"""FAQ files: each format round-trips exactly; a malformed file names its bad row, gives nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge.faq.faqfile import FaqFileError, FaqRecord, read_faq_file
from bot.knowledge.faq.faqfile_writer import write_faq_file
from tests.knowledge.conftest import DATASETS, DEMO_FAQ

RECORDS = [
    FaqRecord(
        id=7,
        question="How long does shipping take?",
        answer='Standard shipping takes 3-5 business days.\nExpress: 1-2 days, "tracked".',
        variants=("When will my order arrive?", "How fast do you deliver?"),
        tags=("shipping", "orders"),
        language="en",
    ),
    FaqRecord(
        id="return-zh",
        question="如何办理退货？",
        answer="收货后 30 天内可退货，邮件：support@acme-shop.example",
        variants=("怎么退货？",),
        tags=("退货",),
        language="zh",
        enabled=False,
    ),
    FaqRecord(id=None, question="Opening hours?", answer="Mon-Fri 9:00-18:00, Sat: 10:00-16:00"),
]


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json", ".csv"])
def test_round_trip_is_exact(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"faq{suffix}"
    write_faq_file(path, RECORDS)
    assert read_faq_file(path) == RECORDS


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".csv"])
def test_round_trip_of_an_empty_faq(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"faq{suffix}"
    write_faq_file(path, [])
    assert read_faq_file(path) == []


def test_dataset_schema_is_read(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    data = {
        "name": "tiny",
        "faq": [{"id": "tiny-000", "question": "Strikethrough?", "answer": "Use ~~x~~."}],
        "queries": [{"query": "crossed out text", "faq_id": "tiny-000"}],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_faq_file(path) == [
        FaqRecord(id="tiny-000", question="Strikethrough?", answer="Use ~~x~~.", language="en")
    ]


@pytest.mark.skipif(not DATASETS.is_dir(), reason="shared datasets not present")
def test_real_dev_sets_are_read() -> None:
    for path in sorted(DATASETS.glob("*/dev.json")):
        if "documents" in json.loads(path.read_text(encoding="utf-8")):
            continue  # a help centre's articles with questions (emanual_tv), not an FAQ
        records = read_faq_file(path)
        assert len(records) > 100
        assert all(isinstance(record.id, str) for record in records)


def test_demo_faq_has_every_topic_in_english_and_chinese() -> None:
    records = read_faq_file(DEMO_FAQ)
    topics = {str(record.id).rsplit("-", 1)[0] for record in records}
    assert len(topics) >= 25
    for topic in topics:
        languages = {r.language for r in records if str(r.id).rsplit("-", 1)[0] == topic}
        assert languages == {"en", "zh"}, topic
    assert all(record.variants for record in records)


def test_language_defaults_to_the_script_of_the_question(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text("- {question: 运费是多少？, answer: 满 50 美元包邮。}\n", encoding="utf-8")
    assert read_faq_file(path)[0].language == "zh"


def test_csv_with_only_the_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("Question,Answer\nHours?,9-18\n\nPhone?,555 0100\n", encoding="utf-8")
    records = read_faq_file(path)
    assert [r.question for r in records] == ["Hours?", "Phone?"]
    assert all(r.id is None and r.enabled for r in records)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "faq.yaml",
            "faq:\n  - question: A?\n    answer: a\n  - question: B?\n",
            "line 4: entry 2",
        ),
        (
            "faq.yaml",
            "faq:\n  - question: A?\n    answer: a\n    anwser: typo\n",
            "line 2: entry 1",
        ),
        ("faq.yaml", "faq:\n  - question: [unclosed\n", "line 3: invalid YAML"),
        ("faq.yaml", "- {question: 'A?', answer: a, enabled: maybe}\n", "enabled"),
        ("faq.yaml", "- {question: 'A?', answer: a}\n- just text\n", "entry 2"),
        ("faq.json", '{"faq": [{"question": "A?", "answer": "a"}, {"question": ""}]}', "entry 2"),
        (
            "faq.json",
            '[{"question": "A?", "answer": "a"},\n {"question": "B?" "answer": 1}]',
            "line 2",
        ),
        (
            "faq.json",
            '{"faq": [{"id": 1, "question": "A?", "answer": "a"},'
            ' {"id": 1, "question": "B?", "answer": "b"}]}',
            "entry 2: duplicate id 1",
        ),
        ("faq.csv", "question,answer\nA?,a\nB?,b,extra\n", "line 3"),
        ("faq.csv", 'question,answer\nA?,a\n"B?\nstill B",\n', "line 3: answer is empty"),
        ("faq.csv", "question,answer,enabled\nA?,a,perhaps\n", "line 2: enabled"),
        ("faq.csv", "question,anwser\nA?,a\n", "line 1: unknown column"),
        ("faq.txt", "question: A?\n", "unknown FAQ file type"),
    ],
)
def test_malformed_file_names_the_row_and_returns_nothing(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FaqFileError, match=message):
        read_faq_file(path)


def test_csv_export_refuses_a_variant_containing_the_separator(tmp_path: Path) -> None:
    record = FaqRecord(id=1, question="A?", answer="a", variants=("this | that",))
    path = tmp_path / "faq.csv"
    with pytest.raises(FaqFileError, match="entry 1"):
        write_faq_file(path, [record])
    assert not path.exists()


def test_to_document_keeps_the_retrieval_fields() -> None:
    document = RECORDS[1].to_document()
    assert (document.id, document.language, document.variants) == (
        "return-zh",
        "zh",
        ("怎么退货？",),
    )
    with pytest.raises(ValueError, match="id"):
        RECORDS[2].to_document()
    assert RECORDS[2].to_document(fallback_id=3).id == 3
