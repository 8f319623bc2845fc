"""Test set-up shared by the cog tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.db.engine import transaction
from bot.db.models import Card, Deck, ItemState
from bot.study.items import card_key


async def deck_card_ids(bot, slug: str) -> list[int]:
    """The card ids of a deck, in deck order."""
    async with bot.service.sessions() as session:
        rows = await session.scalars(
            select(Card.id).join(Deck, Card.deck_id == Deck.id).where(Deck.slug == slug)
        )
        return sorted(rows.all())


async def make_due(bot, user: int, card_ids: list[int], now: dt.datetime) -> list[str]:
    """Cards learned earlier (SM-2, interval 1) and due for review now, the first the most
    overdue; returns their item keys."""
    keys = []
    async with transaction(bot.service.sessions) as session:
        for i, card_id in enumerate(card_ids):
            overdue = len(card_ids) + 2 - i
            day = now.date() - dt.timedelta(days=overdue)
            session.add(
                ItemState(
                    user_id=user,
                    item_key=card_key(card_id),
                    kind="card",
                    card_id=card_id,
                    scheduler="sm2",
                    repetitions=1,
                    interval=1,
                    introduced_day=day - dt.timedelta(days=1),
                    due_day=day,
                    last_reviewed_at=now - dt.timedelta(days=overdue + 1),
                )
            )
            keys.append(card_key(card_id))
    return keys


def spy_on_messages(monkeypatch) -> list[tuple[str, list[str], list[str]]]:
    """What the bot sends and edits through interaction webhooks, and when it renders, in
    order: (event, embed titles, file names)."""
    import discord

    from bot.math import tasks

    events: list[tuple[str, list[str], list[str]]] = []

    def record(event: str, kwargs: dict) -> None:
        embeds = kwargs.get("embeds") or [kwargs.get("embed")]
        files = kwargs.get("files") or kwargs.get("attachments") or [kwargs.get("file")]
        events.append(
            (
                event,
                [e.title for e in embeds if isinstance(e, discord.Embed)],
                [f.filename for f in files if isinstance(f, discord.File)],
            )
        )

    send, edit, arender = discord.Webhook.send, discord.WebhookMessage.edit, tasks.arender

    async def spied_send(self, *args, **kwargs):
        record("send", kwargs)
        return await send(self, *args, **kwargs)

    async def spied_edit(self, *args, **kwargs):
        record("edit", kwargs)
        return await edit(self, *args, **kwargs)

    async def spied_render(*args, **kwargs):
        events.append(("render", [], []))
        return await arender(*args, **kwargs)

    monkeypatch.setattr(discord.Webhook, "send", spied_send)
    monkeypatch.setattr(discord.WebhookMessage, "edit", spied_edit)
    monkeypatch.setattr(tasks, "arender", spied_render)
    return events


def custom_ids(message) -> list[str]:
    """Button ids of a channel message (discord.py objects) or an interaction reply (dicts)."""
    ids = []
    for row in message.components:
        if isinstance(row, dict):
            ids += [c["custom_id"] for c in row.get("components", [])]
        else:
            ids += [c.custom_id for c in row.children]
    return ids


def at(text: str) -> dt.datetime:
    """An ISO moment, in UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


async def advance_to(env, moment: dt.datetime) -> None:
    """Move simcord's virtual clock on to ``moment``."""
    await env.advance_time((moment - env.now()).total_seconds())
