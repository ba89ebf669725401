"""Soak: a real `attribution serve` under 1,000 mixed requests from 20 concurrent clients (a
short `benchmarks/api_load.py --soak`), then the warehouse checked against what every client
was told. The mix and the checks are the benchmark's; see its docstring."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.api_load import SOAK_MIX, run_soak, verify


@pytest.mark.slow
def test_a_short_soak_stores_what_the_clients_were_told(tmp_path: Path) -> None:
    result = run_soak(tmp_path, requests=1_000, clients=20, sources=50, leads=2_000, seed=3)
    tally = result.tally
    assert result.problems == []
    assert tally.server_errors == [] and tally.unanswered == []
    assert sum(tally.ops.values()) == 1_000
    assert set(tally.ops) == set(SOAK_MIX), "every kind of operation was sent"
    ledgers = result.ledgers
    assert sum(len(x.sources) for x in ledgers) > 50, "sources were created and kept"
    assert sum(len(x.deleted) for x in ledgers) > 0, "sources were deleted"
    assert sum(len(x.batches) for x in ledgers) > 50, "batches were acknowledged"
    assert sum(len(x.absent_leads) for x in ledgers) > 50, "rows and batches were refused"
    assert result.rss["peak"] < 1_500, result.rss  # MB; the benchmark reports the trend

    # The checks bite: a ledger that lies about a source, a deletion or a refused lead fails.
    liar = next(x for x in ledgers if len(x.sources) >= 2 and x.batches)
    source = next(iter(liar.sources))
    stored = liar.batches[0].leads[0]
    lies = dataclasses.replace(
        liar,
        sources={**liar.sources, source: {**liar.sources[source], "channel": "Never told"}},
        deleted={*liar.deleted, *[s for s in liar.sources if s != source][:1]},
        absent_leads=[*liar.absent_leads, stored],
    )
    caught = verify(
        result.db, [lies if x is liar else x for x in ledgers], 3, result.batches_before
    )
    assert any(f"source {source} is" in p for p in caught), caught
    assert any("was deleted (200) but is there" in p for p in caught), caught
    assert any(stored in p for p in caught), caught
