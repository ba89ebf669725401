"""The benchmark's scenarios: channels with known effects on a simulated person's conversion.

A person converts when a uniform draw falls below base + the lifts of the channels that touched
them (an additive probability); a channel may be raised by an upstream one, need an earlier
visit, or be caused by the conversion itself (see docs/models.md, "Scenarios")."""

from __future__ import annotations

from dataclasses import dataclass

from attribution.errors import AttributionError

# Each channel's UTM values: the default channel rules map them to the channel's name.
UTM: dict[str, tuple[str, str]] = {
    "Paid Search": ("google", "cpc"),
    "Paid Social": ("facebook", "paid_social"),
    "Display": ("gdn", "display"),
    "Email": ("newsletter", "email"),
    "Organic Search": ("google", "organic"),
    "Referral": ("partnerblog.example", "referral"),
    "Affiliates": ("affiliate-network", "affiliate"),
}
DAILY_SPEND: dict[str, float] = {
    "Paid Search": 400.0,
    "Paid Social": 250.0,
    "Display": 150.0,
    "Affiliates": 80.0,
}


@dataclass(frozen=True)
class Channel:
    """A channel's reach, effect and timing in a scenario."""

    name: str
    reach: float  # probability that a person is touched by it
    lift: float = 0.0  # added to the conversion probability of a person it touched
    repeats: float = 0.3  # mean extra touches (Poisson, at most two)
    days: tuple[float, float] = (0.0, 14.0)  # when its touches fall, after the person's start
    raised_by: str | None = None  # an upstream channel whose touch raises this one's reach ...
    raise_to: float = 0.0  # ... to this
    needs_visit: bool = False  # its lift counts only after another channel's touch
    # Caused by the conversion, not causing it: a touch just before the conversion with the
    # first probability for converting people, at a random time with the second for others.
    before_conversion: tuple[float, float] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    channels: tuple[Channel, ...]
    base: float = 0.01  # conversion probability with no channel's help
    value_median: float = 3000.0  # conversion values: lognormal around this median

    def index(self, name: str) -> int:
        return [c.name for c in self.channels].index(name)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "additive",
            "independent additive effects",
            (
                Channel("Paid Search", 0.35, 0.10),
                Channel("Paid Social", 0.30, 0.05),
                Channel("Email", 0.25, 0.07),
                Channel("Display", 0.30, 0.02),
                Channel("Organic Search", 0.30, 0.03),
                Channel("Referral", 0.08, 0.15),
            ),
        ),
        Scenario(
            "awareness",
            "Display converts no one itself but raises later Paid Search visits",
            (
                Channel("Display", 0.40, 0.0, repeats=0.5, days=(0.0, 5.0)),
                Channel(
                    "Paid Search", 0.15, 0.10, days=(5.0, 13.0), raised_by="Display", raise_to=0.55
                ),
                Channel("Email", 0.25, 0.05),
                Channel("Organic Search", 0.30, 0.03),
                Channel("Paid Social", 0.25, 0.04),
            ),
        ),
        Scenario(
            "branded_search",
            "Organic Search (brand queries) sits right before conversions without causing them",
            (
                Channel("Paid Social", 0.30, 0.06),
                Channel("Display", 0.35, 0.02),
                Channel("Email", 0.25, 0.05),
                Channel("Paid Search", 0.30, 0.07),
                Channel("Organic Search", 0.0, before_conversion=(0.8, 0.08)),
            ),
        ),
        Scenario(
            "rare_strong",
            "Referral touches few people but lifts them a lot",
            (
                Channel("Referral", 0.03, 0.40),
                Channel("Paid Search", 0.35, 0.05),
                Channel("Paid Social", 0.30, 0.03),
                Channel("Email", 0.25, 0.04),
                Channel("Display", 0.30, 0.015),
                Channel("Organic Search", 0.30, 0.02),
            ),
        ),
        Scenario(
            "interaction",
            "Email works only after a first visit from another channel",
            (
                Channel("Email", 0.45, 0.10, needs_visit=True),
                Channel("Paid Search", 0.30, 0.05),
                Channel("Organic Search", 0.30, 0.03),
                Channel("Paid Social", 0.25, 0.03),
                Channel("Display", 0.25, 0.01),
            ),
        ),
        Scenario(
            "placebo",
            "Affiliates touch many people and have no effect",
            (
                Channel("Affiliates", 0.35, 0.0, repeats=0.5),
                Channel("Paid Search", 0.30, 0.08),
                Channel("Paid Social", 0.30, 0.04),
                Channel("Email", 0.25, 0.05),
                Channel("Organic Search", 0.25, 0.03),
                Channel("Display", 0.25, 0.02),
            ),
        ),
    )
}


def chosen(name: str) -> list[Scenario]:
    """The scenario named, or every one for "all"; an unknown name lists the valid ones."""
    if name == "all":
        return list(SCENARIOS.values())
    if name not in SCENARIOS:
        raise AttributionError(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}, or all")
    return [SCENARIOS[name]]
