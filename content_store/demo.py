"""Demo content for a first start, so a newcomer sees real-looking picks without the internet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from content_store.content import NewContent, add_content, find_by_url
from domain.networks import Network

DEMO_ITEMS = (
    (
        "https://example.com/blog/launch-week",
        "Launch week: what we shipped and why",
        "A tour of the five features our teams shipped this week.",
        ("product",),
        2,
    ),
    (
        "https://example.com/careers/engineering",
        "We're hiring engineers in Amsterdam",
        "Join the team building our platform.",
        ("careers", "engineering"),
        1,
    ),
    (
        "https://example.com/blog/engineering-on-call",
        "How we made on-call humane",
        "Fewer pages, better sleep: lessons from two years of on-call.",
        ("engineering",),
        0,
    ),
    (
        "https://example.com/news/sustainability-report",
        "Our first sustainability report",
        "Where we stand on emissions, and what we will do next.",
        ("sustainability",),
        1,
    ),
    (
        "https://example.com/blog/customer-story-acme",
        "How Acme cut onboarding time in half",
        "A customer story about doing more with less.",
        ("customers", "product"),
        0,
    ),
    (
        "https://example.com/events/meetup",
        "Come to our community meetup",
        "Talks, demos and food at our office next month.",
        ("community",),
        0,
    ),
)


async def seed_demo_content(session: AsyncSession, *, workspace_id: int, now: datetime) -> int:
    """Add the demo items the workspace lacks; returns how many were added."""
    added = 0
    for url, title, description, topics, priority in DEMO_ITEMS:
        if await find_by_url(session, workspace_id=workspace_id, canonical_url=url):
            continue
        new = NewContent(
            canonical_url=url,
            title=title,
            description=description,
            topics=topics,
            captions={Network.LINKEDIN: f"{title} — worth a read."},
            publish_from=now - timedelta(days=1),
            publish_until=now + timedelta(days=60),
            priority=priority,
        )
        await add_content(session, workspace_id=workspace_id, new=new, now=now)
        added += 1
    return added
