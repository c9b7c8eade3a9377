"""Conversations (transcripts with how each reply was made) and open hand-offs, where an agent
answers the customer through the hand-off port and hands them back to the bot."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.channels.web.auth import admin_page, services
from bot.channels.web.rendering import flash, message_page, page
from bot.conversation.handoff import HandoffError


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


@admin_page
async def conversations(request: Request) -> Response:
    """GET /conversations: customers by recent activity; search by text or user."""
    q = request.query_params
    number = _int(q.get("page"), 1)
    rows = await services(request).queries.customers(
        text=q.get("q", ""), user=q.get("user", ""), page=number
    )
    context = {"rows": rows, "q": q.get("q", ""), "user": q.get("user", ""), "page": number}
    return page(request, "conversations.html", context)


@admin_page
async def transcript(request: Request) -> Response:
    """GET /conversations/<user id>: one customer's transcript."""
    customer, lines = await services(request).queries.transcript(request.path_params["user_id"])
    if customer is None:
        return message_page(request, "Not found", "No such customer (or they used /forget).", 404)
    return page(request, "transcript.html", {"customer": customer, "lines": lines})


@admin_page
async def handoffs(request: Request) -> Response:
    """GET /handoffs: the customers waiting for or talking with a person."""
    rows = await services(request).queries.handoffs()
    return page(request, "handoffs.html", {"rows": rows})


@admin_page
async def handoff(request: Request) -> Response:
    """GET /handoffs/<session id>: the conversation, a reply box and "hand back"."""
    console = services(request)
    session_id = request.path_params["session_id"]
    customer = await console.handoff.customer_by_session(session_id)
    if customer is None:
        return message_page(request, "Hand-off closed", "This customer is back with the bot.", 404)
    lines = await console.queries.session_lines(session_id)
    context = {
        "customer": customer,
        "lines": lines,
        "can_reply": console.messenger is not None,
    }
    return page(request, "handoff.html", context)


@admin_page
async def handoff_lines(request: Request) -> Response:
    """GET /handoffs/<session id>/lines?after=N: new messages (the page polls this)."""
    after = _int(request.query_params.get("after"), 0)
    lines = await services(request).queries.session_lines(
        request.path_params["session_id"], after_id=after
    )
    return page(request, "lines.html", {"lines": lines})


@admin_page
async def handoff_reply(request: Request) -> Response:
    """POST /handoffs/<session id>/reply: the agent's text reaches the customer."""
    console = services(request)
    session_id = request.path_params["session_id"]
    text = str((await request.form()).get("text") or "").strip()
    if console.messenger is None:
        return message_page(request, "Not sent", "No channel to reach the customer through.", 503)
    try:
        customer = await console.handoff.customer_by_session(session_id)
        joined = console.texts.get(
            "handoff_agent_joined", customer.language if customer else None, agent_name="Support"
        )
        await console.handoff.reply_through(
            console.messenger, session_id, text, joined_notice=joined
        )
    except HandoffError as exc:
        return message_page(request, "Not sent", str(exc), status=409)
    flash(request, "Reply sent.")
    return RedirectResponse(f"/handoffs/{session_id}", status_code=303)


@admin_page
async def handoff_finish(request: Request) -> Response:
    """POST /handoffs/<session id>/finish: hand the customer back to the bot."""
    console = services(request)
    session_id = request.path_params["session_id"]
    customer = await console.handoff.finish(session_id)
    if customer is None:
        return message_page(request, "Already closed", "This hand-off was already closed.", 409)
    if console.messenger is not None:
        try:
            await console.messenger.send(
                customer, console.texts.get("handoff_ended", customer.language)
            )
        except HandoffError as exc:
            flash(request, f"Handed back, but the customer was not told: {exc}")
    flash(request, f"Customer of ticket #{session_id} handed back to the bot.")
    return RedirectResponse("/handoffs", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/conversations", conversations),
        Route("/conversations/{user_id:int}", transcript),
        Route("/handoffs", handoffs),
        Route("/handoffs/{session_id:int}", handoff),
        Route("/handoffs/{session_id:int}/lines", handoff_lines),
        Route("/handoffs/{session_id:int}/reply", handoff_reply, methods=["POST"]),
        Route("/handoffs/{session_id:int}/finish", handoff_finish, methods=["POST"]),
    ]
