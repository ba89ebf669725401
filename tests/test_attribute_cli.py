"""`attribution attribute`: a ChannelAttribution path file in, per-channel results out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from attribution.cli import main
from attribution.models import PATH_FILE_MODELS

HEADER = "path,total_conversions,total_conversion_value,total_null\n"
# The spec's Markov check, with spaces around channels, an empty token and C's conversion split
# into two rows of 0.5 (the chain only sees the sums, so the check values hold).
TOY = HEADER + '"A >  > B",1,10,0\n A ,0,0,1\nB>A,1,5,0\n C > B ,0,0,1\nC,0.5,1,0\nC >,0.5,1.0,0\n'
MARKOV_RE = {"A": 4 / 9, "B": 4 / 9, "C": 1 / 2}
MARKOV_VALUE_RE = {"A": 25 / 51, "B": 35 / 51, "C": 3 / 8}

Rows = dict[tuple[str, str], tuple[float, float]]


def write(tmp_path: Path, text: str, name: str = "paths.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def attribute(paths: Path, out: Path, *args: str) -> Result:
    command = ["attribute", "--paths", str(paths), "--out", str(out), *args]
    return CliRunner().invoke(main, command, env={"ATTRIBUTION_CONFIG": None})


def results(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["channel", "model", "conversions", "value"]
        rows = {
            (r["channel"], r["model"]): (float(r["conversions"]), float(r["value"])) for r in reader
        }
    return rows


def removal_effects(path: Path) -> dict[str, tuple[float, float]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == [
            "channel",
            "removal_effect_conversions",
            "removal_effect_value",
        ]
        return {
            r["channel"]: (float(r["removal_effect_conversions"]), float(r["removal_effect_value"]))
            for r in reader
        }


def of_model(rows: Rows, model: str) -> dict[str, tuple[float, float]]:
    return {c: v for (c, m), v in rows.items() if m == model}


def test_the_toy_file_gives_the_spec_values(tmp_path: Path) -> None:
    out, removal = tmp_path / "results.csv", tmp_path / "removal.csv"
    result = attribute(
        write(tmp_path, TOY),
        out,
        "--models",
        "first_touch, last_touch,linear,markov",
        "--removal-effects",
        str(removal),
    )
    assert result.exit_code == 0, result.output
    assert "6 paths, 3 channels, 3 conversions; 4 models written to" in result.output
    rows = results(out)
    assert len(rows) == 12
    # Rows come model by model, channels in name order.
    with out.open(encoding="utf-8") as fh:
        order = [line.split(",")[:2] for line in fh.read().splitlines()[1:]]
    assert order[:3] == [["A", "first_touch"], ["B", "first_touch"], ["C", "first_touch"]]
    assert of_model(rows, "first_touch") == {"A": (1, 10), "B": (1, 5), "C": (1, 2)}
    assert of_model(rows, "last_touch") == {"A": (1, 5), "B": (1, 10), "C": (1, 2)}
    assert of_model(rows, "linear") == {"A": (1, 7.5), "B": (1, 7.5), "C": (1, 2)}
    total = sum(MARKOV_VALUE_RE.values())
    for channel, conv in {"A": 0.96, "B": 0.96, "C": 1.08}.items():
        got_conv, got_value = rows[(channel, "markov")]
        assert got_conv == pytest.approx(conv, abs=1e-12)
        assert got_value == pytest.approx(MARKOV_VALUE_RE[channel] / total * 17, abs=1e-12)
    effects = removal_effects(removal)
    assert list(effects) == ["A", "B", "C"]
    for channel, (re_conv, re_value) in effects.items():
        assert re_conv == pytest.approx(MARKOV_RE[channel], abs=1e-12)
        assert re_value == pytest.approx(MARKOV_VALUE_RE[channel], abs=1e-12)


def test_the_default_models_are_every_path_file_model(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    result = attribute(write(tmp_path, TOY), out)
    assert result.exit_code == 0, result.output
    rows = results(out)
    assert {m for _, m in rows} == set(PATH_FILE_MODELS)
    for model in PATH_FILE_MODELS:
        credit = of_model(rows, model)
        assert set(credit) == {"A", "B", "C"}
        assert sum(c for c, _ in credit.values()) == pytest.approx(3.0, abs=1e-9), model
        assert sum(v for _, v in credit.values()) == pytest.approx(17.0, abs=1e-9), model


def test_fractional_counts_are_kept(tmp_path: Path) -> None:
    text = HEADER + "A>B,0.25,2.5,0.75\nB,0.5,1,0.5\n"
    out = tmp_path / "results.csv"
    result = attribute(write(tmp_path, text), out, "--models", "first_touch,linear")
    assert result.exit_code == 0, result.output
    rows = results(out)
    assert rows[("A", "first_touch")] == (0.25, 2.5)
    assert rows[("B", "first_touch")] == (0.5, 1.0)
    assert rows[("A", "linear")] == (0.125, 1.25)
    assert rows[("B", "linear")] == (0.625, 2.25)


def test_removal_effects_add_markov_when_not_asked(tmp_path: Path) -> None:
    out, removal = tmp_path / "results.csv", tmp_path / "removal.csv"
    result = attribute(
        write(tmp_path, TOY), out, "--models", "linear", "--removal-effects", str(removal)
    )
    assert result.exit_code == 0, result.output
    assert {m for _, m in results(out)} == {"linear", "markov"}
    assert removal_effects(removal)["C"][0] == pytest.approx(0.5, abs=1e-12)


def test_order_2(tmp_path: Path) -> None:
    # Order 2 states: AB, BC and A. start -> AB 2/5, BC 1/5, A 2/5; AB -> BC 1/2, null 1/2;
    # p = 4/5; without A 1/5, without B 2/5, without C 2/5: removal effects 3/4, 1/2, 1/2.
    text = HEADER + "A>B>C,1,6,0\nA > B,0,0,1\nB>C,1,2,0\nA,2,2,0\n"
    out, removal = tmp_path / "results.csv", tmp_path / "removal.csv"
    result = attribute(
        write(tmp_path, text),
        out,
        "--models",
        "markov",
        "--order",
        "2",
        "--removal-effects",
        str(removal),
    )
    assert result.exit_code == 0, result.output
    rows = of_model(results(out), "markov_2")
    assert rows["A"][0] == pytest.approx(12 / 7, abs=1e-12)
    assert rows["B"][0] == pytest.approx(8 / 7, abs=1e-12)
    assert rows["C"][0] == pytest.approx(8 / 7, abs=1e-12)
    assert sum(v for _, v in rows.values()) == pytest.approx(10.0, abs=1e-12)
    effects = removal_effects(removal)
    assert [effects[c][0] for c in "ABC"] == pytest.approx([3 / 4, 1 / 2, 1 / 2], abs=1e-12)
    assert [effects[c][1] for c in "ABC"] == pytest.approx([0.6, 0.8, 0.8], abs=1e-12)
    bad = attribute(write(tmp_path, text), out, "--order", "5")
    assert bad.exit_code == 2


def test_a_custom_separator(tmp_path: Path) -> None:
    text = "path,total_conversions\nA | B,1\nB|A>C,1\n"
    out = tmp_path / "results.csv"
    result = attribute(write(tmp_path, text), out, "--sep", "|", "--models", "last_touch")
    assert result.exit_code == 0, result.output
    assert of_model(results(out), "last_touch") == {
        "A": (0, 0),
        "A>C": (1, 0),
        "B": (1, 0),
    }


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("path,total_conversion_value,total_null", "total_conversions"),
        ("journey,total_conversions,total_null", "path"),
    ],
)
def test_a_missing_column_is_named(tmp_path: Path, header: str, missing: str) -> None:
    result = attribute(write(tmp_path, f"{header}\nA>B,1,0\n"), tmp_path / "r.csv")
    assert result.exit_code == 1
    assert f"lacks column(s) {missing}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "row", ["A>B,one,10,0", "A>B,1,ten,0", "A>B,1,10,x", "A>B,,10,0", "A>B,-1,10,0"]
)
def test_counts_must_be_numbers(tmp_path: Path, row: str) -> None:
    result = attribute(write(tmp_path, f"{HEADER}B,1,2,0\n{row}\n"), tmp_path / "r.csv")
    assert result.exit_code == 1
    assert "must be numbers, the counts not negative" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.csv").exists()


def test_an_unknown_model_lists_the_valid_ones(tmp_path: Path) -> None:
    result = attribute(write(tmp_path, TOY), tmp_path / "r.csv", "--models", "linear,nope")
    assert result.exit_code == 1
    assert "unknown model(s) nope" in result.output
    for model in PATH_FILE_MODELS:
        assert model in result.output
    assert not (tmp_path / "r.csv").exists()


def test_a_file_without_any_channel_is_refused(tmp_path: Path) -> None:
    result = attribute(write(tmp_path, HEADER + '" > ",1,1,0\n'), tmp_path / "r.csv")
    assert result.exit_code == 1
    assert "holds no path with a channel" in result.output


def test_the_output_directory_is_created(tmp_path: Path) -> None:
    out = tmp_path / "new" / "results.csv"
    result = attribute(write(tmp_path, TOY), out, "--models", "linear")
    assert result.exit_code == 0, result.output
    assert of_model(results(out), "linear")["C"] == (1.0, 2.0)


def test_time_decay_on_a_path_file_is_a_user_error(tmp_path: Path) -> None:
    result = attribute(write(tmp_path, TOY), tmp_path / "r.csv", "--models", "time_decay")
    assert result.exit_code == 1, result.output
    assert "time_decay" in result.output
    assert "internal error" not in result.output
