"""Hypothesis strategies shared by the caption tests."""

from __future__ import annotations

from hypothesis import strategies as st

from captions import CaptionRequest
from domain.networks import Network

networks = st.sampled_from(list(Network))
# Tracked links of any length: long enough ones leave Bluesky no room at all.
links = st.builds(lambda path: "https://go.example/" + path, st.text(max_size=400))
disclosures = st.none() | st.text(max_size=300)
texts = st.text(max_size=4000)

requests = st.builds(
    CaptionRequest,
    title=st.text(max_size=500),
    description=st.text(max_size=3000),
    link=links,
    topics=st.lists(st.text(max_size=40), max_size=6).map(tuple),
    network=networks,
    locale=st.sampled_from(["en", "nl", "nl-BE", "fr", ""]),
    person_key=st.text(max_size=20),
    editorial_caption=st.none() | texts,
    disclosure=disclosures,
)
