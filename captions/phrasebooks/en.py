"""English template captions."""

from __future__ import annotations

from captions.phrasebook import CaptionTemplate as T
from captions.phrasebook import Phrasebook

# Openings differ in their first words, put the title and the person's own words in different
# places and never claim anything on the person's behalf beyond having read the piece.
PHRASEBOOK = Phrasebook(
    language="English",
    templates=(
        T("Just read {title}. {why}", hashtags=True),
        T("Worth your time: {title}. {why}"),
        T("{why} That's why I'm sharing {title}.", hashtags=True),
        T("{title} — {why}", closing="Curious how others see it."),
        T("Reading tip for my network: {title}. {why}", hashtags=True),
        T("New from our team: {title}. {why}"),
        T("This one stayed with me: {title}. {why}", closing="What do you think?"),
        T("My colleagues wrote this up: {title}. {why}", hashtags=True),
        T("Quick recommendation: {title}. {why}"),
        T("{why} More in {title}:"),
        T("Passing this on: {title}. {why}", hashtags=True),
        T("Have you seen {title} yet? {why}"),
        T("A good read for a quiet moment: {title}. {why}", hashtags=True),
        T("Something I'd like more people to read: {title}. {why}"),
        T("In case you missed it: {title}. {why}", closing="Happy to talk about it."),
        T("Sharing {title} today. {why}", hashtags=True),
        T("Bookmark-worthy: {title}. {why}"),
        # Without the title: the link preview shows it, and the person's words carry the post.
        T("{why} Worth a read if this is your field too."),
        T("One for anyone in my network who works on this. {why}", hashtags=True),
        T("I'd like to hear what you make of this one. {why}"),
        T("{why} The whole story is behind the link."),
        T("Saving this one, and sharing it while I'm at it. {why}", hashtags=True),
        T("Here's a piece from our team. {why}"),
        T("Food for thought, from our team. {why}"),
        T("{why} Read it here:"),
        T("It's worth a few minutes of your time. {why}", hashtags=True),
        T("From our team, and worth passing on. {why}"),
        T("This deserves more readers. {why}"),
    ),
    prompts=(
        "[why this matters to you]",
        "[what you took from it]",
        "[one thing that stood out to you]",
        "[who in your network should read this, and why]",
        "[how this connects to your own work]",
        "[your own take, in a sentence or two]",
        "[a question this raises for you]",
        "[what you would add from your own experience]",
        "[what surprised you]",
    ),
    quotes=("“", "”"),
    untitled="our latest update",
    short=("Worth a read.", "Take a look.", "Sharing this."),
)
