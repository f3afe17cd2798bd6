"""Hypothesis profiles: few examples per property locally, many under CI (CI=true).

`HYPOTHESIS_PROFILE=ci pytest ...` runs CI's amount locally. A test that draws more or fewer
than the profile's number says so as a share of it (`examples(0.2)`), so every count follows
the profile.
"""

from __future__ import annotations

import os

from hypothesis import settings

# Locally: enough to catch the common mistakes in seconds.
settings.register_profile("dev", max_examples=25)
# Under CI: Hypothesis' own CI profile (derandomized, no deadline on a loaded machine, failing
# examples printed as a blob to reproduce) with 1,000 examples rather than 10,000. Measured
# (docs/development.md): at 10,000 the property tests alone would take tens of minutes on CI's
# two cores; at 1,000 they take about as long as the rest of a test file.
settings.register_profile("ci", settings.get_profile("ci"), max_examples=1_000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


def examples(share: float) -> int:
    """`share` of the active profile's examples (at least 10): for properties that are dear per
    example (a database round trip) or cheap enough to be worth more."""
    active = settings.default
    assert active is not None
    return max(10, round(active.max_examples * share))
