"""Dutch template captions."""

from __future__ import annotations

from captions.phrasebook import CaptionTemplate as T
from captions.phrasebook import Phrasebook

# Written in Dutch, not translated word for word: the same rules as the English phrasebook
# (distinct first words, title and own words in different places, no claims for the person).
PHRASEBOOK = Phrasebook(
    language="Dutch",
    templates=(
        T("Net gelezen: {title}. {why}", hashtags=True),
        T("De moeite waard: {title}. {why}"),
        T("{why} Daarom deel ik {title}.", hashtags=True),
        T("{title} — {why}", closing="Benieuwd hoe anderen dit zien."),
        T("Leestip voor mijn netwerk: {title}. {why}", hashtags=True),
        T("Nieuw van ons team: {title}. {why}"),
        T("Deze bleef me bij: {title}. {why}", closing="Wat vind jij?"),
        T("Mijn collega's schreven dit op: {title}. {why}", hashtags=True),
        T("Korte aanrader: {title}. {why}"),
        T("{why} Meer in {title}:"),
        T("Geef ik graag door: {title}. {why}", hashtags=True),
        T("Heb je {title} al gezien? {why}"),
        T("Iets om rustig voor te gaan zitten: {title}. {why}", hashtags=True),
        T("Dit gun ik meer mensen: {title}. {why}"),
        T("Voor wie het gemist heeft: {title}. {why}", closing="Ik praat er graag over."),
        T("Vandaag deel ik {title}. {why}", hashtags=True),
        T("Om te bewaren: {title}. {why}"),
        # Zonder de titel: de linkvoorvertoning toont die al, en de eigen woorden dragen de post.
        T("{why} De moeite waard als je in dit vak zit."),
        T("Voor iedereen in mijn netwerk die hiermee bezig is. {why}", hashtags=True),
        T("Ik ben benieuwd wat jullie hiervan vinden. {why}"),
        T("{why} Het hele verhaal staat achter de link."),
        T("Even bewaren, en meteen delen. {why}", hashtags=True),
        T("Een stuk van ons team. {why}"),
        T("Stof tot nadenken, van ons team. {why}"),
        T("{why} Lees het hier:"),
        T("Een paar minuten van je tijd waard. {why}", hashtags=True),
        T("Van ons team, en het doorgeven waard. {why}"),
        T("Dit verdient meer lezers. {why}"),
    ),
    prompts=(
        "[waarom dit voor jou belangrijk is]",
        "[wat jij ervan meeneemt]",
        "[wat jou opviel]",
        "[voor wie in je netwerk dit interessant is, en waarom]",
        "[hoe dit aansluit bij je eigen werk]",
        "[jouw eigen kijk, in een zin of twee]",
        "[een vraag die dit bij jou oproept]",
        "[wat jij zou toevoegen uit eigen ervaring]",
        "[wat jou verraste]",
    ),
    quotes=("‘", "’"),
    untitled="onze nieuwste update",
    short=("Het lezen waard.", "Even kijken?", "Ik deel dit."),
)
