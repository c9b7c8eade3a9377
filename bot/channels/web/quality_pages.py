"""Quality: charts of the last days, and retrieval evaluation on an uploaded labelled file."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.web import charts
from bot.channels.web.auth import admin_page, services
from bot.channels.web.rendering import message_page, page
from bot.knowledge.faq.faqfile import FaqFileError

DAY_CHOICES = (7, 14, 30, 90)
MAX_DATASET_BYTES = 20 * 1024 * 1024


@admin_page
async def quality(request: Request) -> Response:
    """GET /quality?days=N: replies by mode, confident share, 👍/👎, latency, unanswered."""
    wanted = request.query_params.get("days", "14")
    days = int(wanted) if wanted.isdigit() and int(wanted) in DAY_CHOICES else 14
    console = services(request)
    report = await console.queries.quality(days, await console.queries.unanswered(console.admin))
    share = [None if v is None else round(v * 100, 1) for v in report.confident_share]
    context = {
        "days": days,
        "choices": DAY_CHOICES,
        "report": report,
        "modes_chart": charts.stacked_bars(report.days, report.modes),
        "modes_legend": charts.legend(list(report.modes)),
        "share_chart": charts.lines(report.days, {"confident": share}, unit="%", top=100),
        "ratings_chart": charts.stacked_bars(
            report.days, {"👍 up": report.thumbs_up, "👎 down": report.thumbs_down}
        ),
        "ratings_legend": charts.legend(["👍 up", "👎 down"]),
        "latency_chart": charts.lines(
            report.days,
            {"p50": list(report.p50), "p95": list(report.p95)},  # type: ignore[dict-item]
            unit=" ms",
        ),
        "latency_legend": charts.legend(["p50", "p95"]),
        "unanswered_chart": charts.horizontal_bars(
            [(group.text, group.size) for group in report.unanswered]
        ),
    }
    return page(request, "quality.html", context)


@admin_page
async def evaluate_form(request: Request) -> Response:
    """GET /quality/evaluate: upload a labelled dev.json."""
    return page(request, "evaluate.html", {"result": None})


@admin_page
async def evaluate(request: Request) -> Response:
    """POST /quality/evaluate: P@1, MRR@10 and confident precision on the uploaded file."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return message_page(request, "Nothing to evaluate", "Choose a dev.json file.", 400)
    content = await upload.read(MAX_DATASET_BYTES + 1)
    if len(content) > MAX_DATASET_BYTES:
        return message_page(request, "File too large", "Up to 20 MB.", 413)
    console = services(request)
    try:
        result = await console.queries.evaluate(
            content, console.preview.index, console.preview.limits.confident
        )
    except (FaqFileError, KeyError, ValueError) as exc:
        return message_page(request, "Cannot evaluate", str(exc), status=422)
    return page(request, "evaluate.html", {"result": result, "filename": upload.filename})


def routes() -> list[Route]:
    return [
        Route("/quality", quality),
        Route("/quality/evaluate", evaluate_form),
        Route("/quality/evaluate", evaluate, methods=["POST"]),
    ]
