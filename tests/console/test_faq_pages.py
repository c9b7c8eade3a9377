"""FAQ pages over HTTP: search and filters, edit with the answer preview, revisions and
rollback, import preview and confirm, export; every change a revision by ``console:<id>``."""

from __future__ import annotations

import json
import re

from bot.conversation.exchange import Incoming
from tests.console.conftest import ADMIN, Console

COUNT = re.compile(r"<small>(\d+) entries</small>")


async def test_search_and_filters_page_through_the_whole_faq(console: Console) -> None:
    await console.login()
    total = (await console.app.admin.list_faq()).total
    page = await console.client.get("/faq")
    assert f"{total} entries" in page.text
    found = await console.client.get("/faq", params={"q": "SHIPPING"})
    assert "shipping" in found.text.lower()
    assert "0 entries" not in found.text
    nothing = await console.client.get("/faq", params={"q": "zzqxv-no-such-text"})
    assert "0 entries" in nothing.text and "No entry matches" in nothing.text
    counts = {}
    for language in ("en", "zh"):
        shown = await console.client.get("/faq", params={"language": language})
        counts[language] = int(COUNT.search(shown.text).group(1))  # type: ignore[union-attr]
    assert counts["en"] > 0 and counts["zh"] > 0 and counts["en"] + counts["zh"] <= total
    second = await console.client.get("/faq", params={"page": "2"})
    assert "Page 2 of" in second.text
    disabled = await console.client.get("/faq", params={"enabled": "no"})
    assert "0 entries" in disabled.text


async def test_edit_preview_save_and_rollback(console: Console) -> None:
    csrf = await console.login()
    entry = await console.app.admin.show_faq(1)
    new_answer = "Parcels arrive within 48 hours, guaranteed."
    form = {
        "csrf": csrf,
        "entry_id": "1",
        "question": entry.question,
        "answer": new_answer,
        "variants": "\n".join(entry.variants),
        "tags": ", ".join(entry.tags),
        "language": entry.language,
        "enabled": "on",
        "try": entry.question,
    }
    preview = await console.client.post("/faq/preview", data=form)
    assert preview.status_code == 200
    before, after = preview.text.split('id="preview-after"')
    assert entry.answer in before and new_answer in after
    assert (await console.app.admin.show_faq(1)).answer == entry.answer  # nothing stored

    saved = await console.client.post("/faq/1", data=form)
    assert saved.status_code == 303
    stored = await console.app.admin.show_faq(1)
    assert stored.answer == new_answer
    assert stored.updated_by == f"console:{ADMIN}"
    reply = await console.app.conversation.handle(Incoming(5, 5, entry.question))
    assert reply.text.startswith(new_answer)

    history = await console.client.get("/faq/1/revisions")
    assert "<ins>" in history.text and "<del>" in history.text
    rolled = await console.client.post(
        "/faq/1/rollback", data={"csrf": csrf, "revision": str(entry.revision)}
    )
    assert rolled.status_code == 303
    back = await console.app.admin.show_faq(1)
    assert back.answer == entry.answer and back.revision == stored.revision + 1
    assert back.updated_by == f"console:{ADMIN}"


async def test_new_entry_from_the_form(console: Console) -> None:
    csrf = await console.login()
    response = await console.client.post(
        "/faq/new",
        data={
            "csrf": csrf,
            "question": "Do you sell gift cards?",
            "answer": "Yes, from 10 to 200 euros.",
            "variants": "gift voucher\ngift card price",
            "tags": "gifts",
            "language": "en",
            "enabled": "on",
        },
    )
    assert response.status_code == 303
    entry_id = int(response.headers["location"].rsplit("/", 1)[1])
    entry = await console.app.admin.show_faq(entry_id)
    assert entry.variants == ["gift voucher", "gift card price"] and entry.tags == ["gifts"]
    tagged = await console.client.get("/faq", params={"tag": "gifts"})
    assert "1 entries" in tagged.text and "Do you sell gift cards?" in tagged.text


async def test_import_preview_confirm_and_bad_row(console: Console) -> None:
    csrf = await console.login()
    good = json.dumps(
        {
            "faq": [
                {"id": "gift-1", "question": "Gift wrap?", "answer": "Yes, 2 euros."},
                {"id": "gift-2", "question": "Gift receipt?", "answer": "Ask at checkout."},
            ]
        }
    ).encode()
    files = {"file": ("new.json", good, "application/json")}
    preview = await console.client.post("/faq/import", data={"csrf": csrf}, files=files)
    assert preview.status_code == 200
    assert "2 added, 0 changed, 0 unchanged" in preview.text
    total = (await console.app.admin.list_faq()).total
    payload = preview.text.split('name="payload" value="')[1].split('"')[0]
    done = await console.client.post(
        "/faq/import/confirm", data={"csrf": csrf, "filename": "new.json", "payload": payload}
    )
    assert done.status_code == 303
    assert (await console.app.admin.list_faq()).total == total + 2

    bad = b"question,answer\nRefunds?,Within 14 days\n,missing question\n"
    files = {"file": ("bad.csv", bad, "text/csv")}
    refused = await console.client.post("/faq/import", data={"csrf": csrf}, files=files)
    assert refused.status_code == 200 and 'id="import-error"' in refused.text
    assert "line 3" in refused.text and "confirm-import" not in refused.text
    assert (await console.app.admin.list_faq()).total == total + 2


async def test_export_in_three_formats(console: Console) -> None:
    await console.login()
    total = (await console.app.admin.list_faq()).total
    as_json = await console.client.get("/faq/export", params={"format": "json"})
    data = json.loads(as_json.text)
    entries = data["faq"] if isinstance(data, dict) else data
    assert len(entries) == total
    as_csv = await console.client.get("/faq/export", params={"format": "csv"})
    assert as_csv.text.startswith(("id,", "question,")) and as_csv.headers[
        "content-type"
    ].startswith("text/csv")
    as_yaml = await console.client.get("/faq/export", params={"format": "yaml"})
    assert "question:" in as_yaml.text
    unknown = await console.client.get("/faq/export", params={"format": "xml"})
    assert unknown.status_code == 400


async def test_a_large_import_is_previewed_and_confirmed(console: Console) -> None:
    csrf = await console.login()
    rows = [
        {"id": f"big-{n}", "question": f"Large question {n}?", "answer": "x" * 400}
        for n in range(2_500)
    ]
    content = json.dumps({"faq": rows}).encode()
    assert len(content) > 1024 * 1024
    files = {"file": ("big.json", content, "application/json")}
    preview = await console.client.post("/faq/import", data={"csrf": csrf}, files=files)
    assert "2500 added" in preview.text
    payload = preview.text.split('name="payload" value="')[1].split('"')[0]
    done = await console.client.post(
        "/faq/import/confirm", data={"csrf": csrf, "filename": "big.json", "payload": payload}
    )
    assert done.status_code == 303
    assert "Import done: added 2500" in (await console.client.get("/faq")).text


async def test_delete_asks_first_then_removes_the_entry_from_search(console: Console) -> None:
    csrf = await console.login()
    entry = await console.app.admin.show_faq(1)
    assert entry.id in {hit.document.id for hit in console.app.admin.search_faq(entry.question)}
    edit_page = await console.client.get("/faq/1")
    assert 'href="/faq/1/delete"' in edit_page.text
    asked = await console.client.get("/faq/1/delete")
    assert asked.status_code == 200
    assert entry.question in asked.text and 'id="confirm-delete"' in asked.text

    refused = await console.client.post("/faq/1/delete", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert (await console.app.admin.show_faq(1)).question == entry.question

    done = await console.client.post("/faq/1/delete", data={"csrf": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/faq"
    assert "Entry #1 deleted" in (await console.client.get("/faq")).text
    assert (await console.client.get("/faq/1")).status_code == 404
    assert 1 not in {hit.document.id for hit in console.app.admin.search_faq(entry.question)}
    history = await console.app.admin.faq_history(1)
    assert history[-1].action == "delete" and history[-1].changed_by == f"console:{ADMIN}"
    revisions = await console.client.get("/faq/1/revisions")
    assert f"delete by console:{ADMIN}" in revisions.text
    again = await console.client.post("/faq/1/delete", data={"csrf": csrf})
    assert again.status_code == 404
