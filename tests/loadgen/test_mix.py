"""The endpoint mix and the fault mix: grammar, errors, and the choices they make."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest

from bookshop_loadgen import Endpoint, MixError, parse_fault, parse_fault_mix, parse_mix
from bookshop_loadgen.mix import DEFAULT_MIX


def test_mix_keeps_weights_in_order() -> None:
    mix = parse_mix(" order=1, list=0.5 ,book=2")
    assert mix.weights == ((Endpoint.ORDER, 1.0), (Endpoint.LIST, 0.5), (Endpoint.BOOK, 2.0))
    assert mix.share(Endpoint.BOOK) == pytest.approx(2 / 3.5)
    assert mix.share(Endpoint.STATUS) == 0


def test_default_mix_has_every_endpoint() -> None:
    assert {e for e, w in parse_mix(DEFAULT_MIX).weights if w > 0} == set(Endpoint)


def _refusals(
    parse: Callable[[str], object], cases: dict[str, tuple[str, str]]
) -> list[pytest.ParameterSet]:
    """A row per `id: (text, message)` in `cases`: `parse(text)` must fail saying `message`."""
    return [pytest.param(parse, text, message, id=id_) for id_, (text, message) in cases.items()]


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        *_refusals(
            parse_mix,
            {
                "mix-empty": ("", "at least one endpoint"),
                "mix-all-zero": ("list=0,book=0", "at least one endpoint"),
                "mix-no-weight": ("list", "is not name=weight"),
                "mix-unknown": ("books=1", "unknown endpoint 'books'"),
                "mix-twice": ("list=1,list=2", "appears twice"),
                "mix-not-a-number": ("list=x", "is not a number"),
                "mix-negative": ("list=-1", ">= 0"),
                "mix-infinite": ("list=inf", ">= 0"),
            },
        ),
        *_refusals(
            parse_fault,
            {
                "fault-no-share": ("cache=error", "lacks its share"),
                "fault-bad-share": ("cache=error@ten", "not a number"),
                "fault-zero-share": ("cache=error@0%", "above 0"),
                "fault-too-much": ("cache=error@101%", "at most 100%"),
                "fault-bad-action": ("cache=explode@10%", "fault 'cache=explode@10%'"),
                "fault-empty-spec": ("@10%", "empty spec"),
            },
        ),
    ],
)
def test_bad_mix_or_fault_entry_says_what_is_wrong(
    parse: Callable[[str], object], text: str, message: str
) -> None:
    with pytest.raises(MixError, match=message):
        parse(text)


def test_mix_picks_in_proportion() -> None:
    mix = parse_mix("list=1,book=3,order=0")
    rng = random.Random(7)
    counts = Counter(mix.pick(rng) for _ in range(8000))
    assert Endpoint.ORDER not in counts
    assert counts[Endpoint.BOOK] / counts[Endpoint.LIST] == pytest.approx(3, rel=0.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("cache=error@10%", ("cache=error", 0.1), id="percent"),
        pytest.param("db_proxy=delay:300ms@0.25", ("db_proxy=delay:300ms", 0.25), id="fraction"),
        pytest.param(
            "db_proxy=delay:300ms,cache=error@100%",
            ("db_proxy=delay:300ms,cache=error", 1.0),
            id="two-entries",
        ),
    ],
)
def test_fault_entry(text: str, expected: tuple[str, float]) -> None:
    spec, share = parse_fault(text)
    assert spec == expected[0]
    assert share == pytest.approx(expected[1])


def test_fault_shares_add_up_to_at_most_all() -> None:
    with pytest.raises(MixError, match="add up to 110%"):
        parse_fault_mix(["cache=error@60%", "db_proxy=delay:1s@50%"])
    assert parse_fault_mix([]).pick(random.Random(1)) == ""


def test_fault_mix_picks_each_share() -> None:
    faults = parse_fault_mix(["cache=error@20%", "backend=error:503@30%"])
    rng = random.Random(3)
    counts = Counter(faults.pick(rng) for _ in range(10000))
    assert counts["cache=error"] / 10000 == pytest.approx(0.2, abs=0.02)
    assert counts["backend=error:503"] / 10000 == pytest.approx(0.3, abs=0.02)
    assert counts[""] / 10000 == pytest.approx(0.5, abs=0.02)
