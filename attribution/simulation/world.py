"""Simulated people of a scenario, drawn once (common random numbers), and the world they make
with every channel on or one switched off; the switch-off truth; their journeys as Paths.

Whole arrays per channel: no loop over people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from attribution.models.paths import Floats, Ints, Paths
from attribution.simulation.scenarios import Scenario

Bools = NDArray[np.bool_]
MAX_TOUCHES = 3  # per person and channel
START_DAYS = 10.0  # a person's first day is uniform in [0, START_DAYS)
PERIOD_DAYS = 28  # every touch and conversion falls in these days (start 10 + touches 14 + 2)


@dataclass(frozen=True)
class Draws:
    """Every uniform and value a world reads, per person: the same in every switched-off world."""

    reach: Floats  # (people, channels)
    extra: Ints  # (people, channels): extra touches when touched
    times: Floats  # (people, channels, MAX_TOUCHES): where each touch falls in its days
    convert: Floats  # (people,)
    value: Floats
    start: Floats  # the person's first day
    delay: Floats  # days from the last touch to the conversion
    late: Floats  # a touch caused by the conversion: this many days before it

    @classmethod
    def draw(cls, scenario: Scenario, people: int, rng: np.random.Generator) -> Draws:
        k = len(scenario.channels)
        repeats = np.array([c.repeats for c in scenario.channels])
        return cls(
            reach=rng.random((people, k)),
            extra=np.minimum(rng.poisson(repeats, (people, k)), MAX_TOUCHES - 1).astype(np.int64),
            times=rng.random((people, k, MAX_TOUCHES)),
            convert=rng.random(people),
            value=np.round(scenario.value_median * rng.lognormal(0.0, 0.5, people), 2),
            start=rng.random(people) * START_DAYS,
            delay=0.3 + 1.7 * rng.random(people),
            late=0.01 + 0.24 * rng.random(people),
        )

    def take(self, rows: Ints) -> Draws:
        """The draws of these people only."""
        return Draws(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


@dataclass(frozen=True)
class World:
    """What happened to each person: touch times in days (inf: no touch), conversion."""

    times: Floats  # (people, channels, MAX_TOUCHES)
    converted: Bools
    converted_at: Floats  # days; meaningful where converted

    @property
    def touched(self) -> Bools:
        return np.asarray(np.isfinite(self.times).any(axis=(1, 2)), dtype=bool)


def world(scenario: Scenario, d: Draws, off: int | None = None) -> World:
    """The people's touches and conversions with every channel on, or with channel `off`
    switched off (its touches gone, and so whatever they raised)."""
    people, k = d.reach.shape
    present = np.zeros((people, k), dtype=bool)
    times = np.full((people, k, MAX_TOUCHES), np.inf)
    first = np.full((people, k), np.inf)
    slot = np.arange(MAX_TOUCHES)
    caused = [i for i, c in enumerate(scenario.channels) if c.before_conversion]
    for i, ch in enumerate(scenario.channels):  # a pass per channel, upstream ones first
        if i in caused:
            continue
        reach = np.full(people, ch.reach)
        if ch.raised_by is not None:
            reach[present[:, scenario.index(ch.raised_by)]] = ch.raise_to
        present[:, i] = (d.reach[:, i] < reach) & (i != off)
        lo, hi = ch.days
        shown = present[:, i, None] & (slot[None, :] <= d.extra[:, i, None])
        times[:, i, :] = np.where(shown, d.start[:, None] + lo + (hi - lo) * d.times[:, i], np.inf)
        first[:, i] = times[:, i, :].min(axis=1)
    p = np.full(people, scenario.base)
    for i, ch in enumerate(scenario.channels):
        works = present[:, i]
        if ch.needs_visit:
            others = np.delete(first, i, axis=1).min(axis=1, initial=np.inf)
            works = works & (others < first[:, i])
        p += ch.lift * works
    converted = d.convert < p
    last = np.where(np.isfinite(times), times, -np.inf).max(axis=(1, 2))
    last = np.where(np.isfinite(last), last, d.start + 7.0)  # converting with no touch
    converted_at = last + d.delay
    for i in caused:
        ch = scenario.channels[i]
        yes, no = ch.before_conversion or (0.0, 0.0)
        on = (d.reach[:, i] < np.where(converted, yes, no)) & (i != off)
        when = np.where(converted, converted_at - d.late, d.start + 14.0 * d.times[:, i, 0])
        times[:, i, 0] = np.where(on, when, np.inf)
    return World(times, converted, converted_at)


@dataclass(frozen=True)
class Truth:
    """Per channel (scenario order): conversions and value lost when it is switched off."""

    channels: tuple[str, ...]
    conversions: Floats
    value: Floats
    total_conversions: float  # of the world with every channel on
    total_value: float

    @staticmethod
    def shares(figures: Floats) -> Floats:
        """Each channel's part of the sum (negative truth keeps its negative share)."""
        total = float(figures.sum())
        shares: Floats = figures / total if total else np.zeros_like(figures)
        return shares


def switch_off_truth(scenario: Scenario, d: Draws, on: World | None = None) -> Truth:
    """The switch-off experiment: the same people and draws with each channel off in turn."""
    on = on or world(scenario, d)
    won = float(on.converted.sum())
    value = float(d.value[on.converted].sum())
    lost_c, lost_v = [], []
    for i in range(len(scenario.channels)):
        off = world(scenario, d, off=i)
        lost_c.append(won - float(off.converted.sum()))
        lost_v.append(value - float(d.value[off.converted].sum()))
    names = tuple(c.name for c in scenario.channels)
    return Truth(names, np.array(lost_c), np.array(lost_v), won, value)


@dataclass(frozen=True)
class Simulation:
    """A scenario's simulated data set: exactly `journeys` people touched at least once."""

    scenario: Scenario
    seed: int
    draws: Draws
    world: World
    truth: Truth


def simulate(
    scenario: Scenario,
    journeys: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> Simulation:
    """Draw people until `journeys` of them are touched (people no channel touched leave no
    journey and no lead: no switch-off changes them), then the truth on those people."""
    say = progress or (lambda _: None)
    rng = np.random.default_rng(seed)
    people = int(journeys * 1.3) + 100
    say(f"{scenario.name}: drawing {people:,} people")
    while True:
        d = Draws.draw(scenario, people, rng)
        kept = np.flatnonzero(world(scenario, d).touched)[:journeys]
        if len(kept) == journeys:
            break
        people *= 2  # few reached: draw again, more
    d = d.take(kept)
    on = world(scenario, d)
    say(f"{scenario.name}: switching each of {len(scenario.channels)} channels off")
    return Simulation(scenario, seed, d, on, switch_off_truth(scenario, d, on))


def touch_table(sim: Simulation) -> tuple[Ints, Ints, Floats]:
    """Every touch as (person, channel, day), ordered by person, then time."""
    person, channel, _ = np.nonzero(np.isfinite(sim.world.times))
    day = sim.world.times[np.isfinite(sim.world.times)]
    order = np.lexsort((day, person))
    return person[order].astype(np.int64), channel[order].astype(np.int64), day[order]


def to_paths(sim: Simulation) -> Paths:
    """The journeys as the warehouse's run builds them: one per converting person (value, time
    before the conversion), then one per other person; channels in name order."""
    person, channel, day = touch_table(sim)
    names = tuple(c.name for c in sim.scenario.channels)
    ordered = tuple(sorted(names))
    code_of = np.array([ordered.index(n) for n in names], dtype=np.int64)
    converted = sim.world.converted
    rank = np.lexsort((np.arange(len(converted)), ~converted))  # converting people first
    position = np.empty_like(rank)
    position[rank] = np.arange(len(rank))
    order = np.lexsort((day, position[person]))
    person, channel, day = person[order], channel[order], day[order]
    counts = np.bincount(position[person], minlength=len(converted))
    conv = converted[rank].astype(np.float64)
    gaps = np.where(converted[person], sim.world.converted_at[person] - day, 0.0)
    return Paths(
        channels=ordered,
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        codes=code_of[channel],
        conversions=conv,
        value=np.where(conv > 0, sim.draws.value[rank], 0.0),
        nulls=1.0 - conv,
        gaps=gaps,
    )
