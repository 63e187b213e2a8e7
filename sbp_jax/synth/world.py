"""Worlds: the generative knobs of the synthetic league, and named presets.

A model tuned on one synthetic league can be tested on differently built ones: a ``World`` fixes
how teams line up (formations), what routes they run, how defenses cover (man / zone shells,
cushion, how tightly defenders trail), how fast the rush gets home, how often and how effectively
teams use play action, how the passer picks his target and the outcome law of a pass. The truth
(true percentile under a league-average passer) is always computed from the world's own law.

``WORLDS["default"]`` reproduces the original generator exactly. Mixes (formations, route trees,
zone shells) are {name: probability} over the playbook's catalogues (playbook.py) and may be given
as dicts; they are stored as tuples of pairs so a World stays hashable.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np

from sbp_jax.synth.outcome import OutcomeLaw
from sbp_jax.synth.playbook import FORMATIONS, ROUTES, ZONE_SHELLS

Mix = tuple[tuple[str, float], ...]
READ_RULES = ("open", "progression", "primary")
_MIX_CATALOGUES = {
    "formations": FORMATIONS,
    "wr_routes": ROUTES,
    "te_routes": ROUTES,
    "rb_routes": ROUTES,
    "zone_shells": ZONE_SHELLS,
}
_RATES = (
    "shotgun_rate",
    "man_rate",
    "charting_accuracy",
    "blitz_rate",
    "sack_rate",
    "scramble_rate",
    "play_action_rate",
    "zone_squeeze",
)
_POSITIVE = (
    "route_depth_scale",
    "cushion_scale",
    "man_trail",
    "zone_radius",
    "rush_scale",
    "plan_scale",
    "read_temperature",
    "ball_speed",
)
_NON_NEGATIVE = (
    "cast_spread",
    "man_lag",
    "rush_base",
    "blitz_speedup",
    "plan_base",
    "play_action_delay",
    "play_action_bite",
    "read_noise",
    "read_depth",
    "flight_overhead",
)


@dataclass(frozen=True)
class World:
    """The knobs of one synthetic league (defaults: the original generator)."""

    name: str = "default"
    description: str = (
        "the original generator: 3x1 formation, man coverage, most-open-receiver reads"
    )
    # The supporting cast: a scale on how much teams differ in receiver quality and pass
    # protection (league.build_league; 1 = the original spreads). Both act through what the
    # tracking shows (separation, time to pressure), so a passer's raw production follows his
    # team as well as his skill while the play-level truth does not.
    cast_spread: float = 1.0
    # Formations (receiver alignments; the personnel is always 1 RB, 1 TE, 3 WR).
    shotgun_rate: float = 0.7
    formations: Mix = (("trips", 1.0),)
    # Route trees per position (playbook.ROUTES) and a scale on every route's depth range.
    wr_routes: Mix = (
        ("go", 0.07),
        ("post", 0.07),
        ("corner", 0.06),
        ("dig", 0.12),
        ("out", 0.16),
        ("slant", 0.16),
        ("curl", 0.18),
        ("hitch", 0.18),
    )
    te_routes: Mix = (("cross", 0.3), ("out", 0.2), ("curl", 0.3), ("seam", 0.2))
    rb_routes: Mix = (("check", 1.0),)
    route_depth_scale: float = 1.0
    # Coverage: P(man); otherwise a zone shell. Man defenders align this cushion (scale) off their
    # receiver and run his route man_lag s late (+ 0.12 s per unit of receiver edge) with a
    # trailing radius ~ Gamma(2, man_trail); zone defenders drop to landmarks, then close
    # zone_squeeze * e^{-(d / zone_radius)^2} of the way to 2 yd (x cushion_scale) off the
    # receiver matched to their landmark, d yd away (paths._zone_plans).
    man_rate: float = 1.0
    zone_shells: Mix = (("cover3", 1.0),)
    cushion_scale: float = 1.0
    man_lag: float = 0.18
    man_trail: float = 0.5
    zone_squeeze: float = 0.9
    zone_radius: float = 20.0
    # P(the charted formation / coverage labels describe the simulated play); otherwise they are
    # drawn from the league-wide label mix, as in the original generator.
    charting_accuracy: float = 0.0
    # Pass rush: pressure at rush_base + Gamma(2, rush_scale * e^{0.35 edge}) s, blitz_speedup s
    # earlier on blitzes; pressured before his plan, the passer is sacked / scrambles at these
    # rates (the sack rate falls 0.04 per unit of skill).
    rush_base: float = 1.6
    rush_scale: float = 1.0
    blitz_rate: float = 0.3
    blitz_speedup: float = 0.25
    sack_rate: float = 0.2
    scramble_rate: float = 0.12
    # The passer plans to throw at plan_base + Gamma(3, plan_scale) s.
    plan_base: float = 1.7
    plan_scale: float = 0.36
    # Play action: its rate, the extra time it costs the passer, and how long the linebackers
    # bite (s of extra man lag / delayed zone drop).
    play_action_rate: float = 0.2
    play_action_delay: float = 0.4
    play_action_bite: float = 0.0
    # Target choice (play.choose_target): "open" = softmax over separation (+ depth) at
    # read_temperature, skill sharpening it; "progression" = the first receiver, deepest route
    # first, seen open (separation + noise >= read_open); "primary" = the pre-snap primary read
    # unless seen covered. Perception noise read_noise * e^{-read_skill * skill} yd.
    read: str = "open"
    read_temperature: float = 0.7
    read_skill: float = 0.4
    read_depth: float = 0.02
    read_noise: float = 1.0
    read_open: float = 2.0
    # Ball flight: distance / ball_speed + flight_overhead s (at least 0.3 s).
    ball_speed: float = 17.0
    flight_overhead: float = 0.2
    # The outcome law of a released pass (outcome.py).
    outcome: OutcomeLaw = field(default_factory=OutcomeLaw)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"World.name must be a non-empty string, got {self.name!r}")
        for name, catalogue in _MIX_CATALOGUES.items():
            object.__setattr__(self, name, _check_mix(name, getattr(self, name), catalogue))
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type == "float" and (
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            ):
                raise ValueError(f"World.{f.name} must be a finite number, got {v!r}")
        for name in _RATES:
            _check(name, getattr(self, name), 0.0 <= getattr(self, name) <= 1.0, "in [0, 1]")
        for name in _POSITIVE:
            _check(name, getattr(self, name), getattr(self, name) > 0, "> 0")
        for name in _NON_NEGATIVE:
            _check(name, getattr(self, name), getattr(self, name) >= 0, ">= 0")
        _check("read_skill", self.read_skill, 0 <= self.read_skill < 0.5, "in [0, 0.5)")
        _check("read_open", self.read_open, 0 <= self.read_open <= 6, "in [0, 6]")
        _check(
            "scramble_rate",
            self.scramble_rate,
            self.sack_rate + self.scramble_rate <= 1,
            "at most 1 - sack_rate",
        )
        _check("read", self.read, self.read in READ_RULES, f"one of {READ_RULES}")
        _check("outcome", self.outcome, isinstance(self.outcome, OutcomeLaw), "an OutcomeLaw")

    def replace(self, **changes) -> World:
        """A copy with some knobs changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def as_json(self) -> dict:
        """All parameters, mixes as {name: probability} (what truth/world.json records)."""
        params = dataclasses.asdict(self)
        for name in _MIX_CATALOGUES:
            params[name] = dict(getattr(self, name))
        return params


def _check(name: str, value: object, ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"World.{name} must be {what}, got {value!r}")


def _check_mix(name: str, mix: object, catalogue: Mapping) -> Mix:
    """A {name: probability} mapping or tuple of pairs -> validated tuple of pairs."""
    pairs = tuple(mix.items()) if isinstance(mix, Mapping) else mix
    try:
        pairs = tuple((str(k), float(p)) for k, p in pairs)
    except (TypeError, ValueError):
        raise ValueError(f"World.{name} must map names to probabilities, got {mix!r}") from None
    names = [k for k, _ in pairs]
    unknown = sorted(set(names) - set(catalogue))
    _check(name, mix, bool(pairs), "a non-empty mix")
    _check(name, mix, not unknown, f"a mix over {sorted(catalogue)} (unknown: {unknown})")
    _check(name, mix, len(set(names)) == len(names), "a mix without repeated names")
    probs = [p for _, p in pairs]
    _check(name, mix, all(math.isfinite(p) and p >= 0 for p in probs), "non-negative")
    _check(name, mix, abs(sum(probs) - 1.0) <= 1e-8, "probabilities summing to 1")
    return pairs


DEFAULT = World()
SPREAD_ZONE = World(
    name="spread_zone",
    description="spread formations, zone-heavy coverage, deep route tree, weak rush, "
    "progression reads, heavy yards-after-catch tail",
    shotgun_rate=0.9,
    formations={"doubles": 0.45, "empty": 0.25, "trips": 0.3},
    wr_routes={
        "go": 0.1,
        "post": 0.1,
        "corner": 0.08,
        "dig": 0.15,
        "out": 0.15,
        "slant": 0.12,
        "curl": 0.15,
        "hitch": 0.15,
    },
    te_routes={"seam": 0.3, "cross": 0.35, "out": 0.2, "curl": 0.15},
    rb_routes={"check": 0.4, "flat": 0.35, "angle": 0.25},
    route_depth_scale=1.1,
    man_rate=0.2,
    zone_shells={"cover3": 0.4, "cover2": 0.25, "quarters": 0.35},
    man_lag=0.22,
    man_trail=0.6,
    zone_squeeze=0.95,
    charting_accuracy=0.95,
    rush_base=1.9,
    rush_scale=1.25,
    blitz_rate=0.15,
    sack_rate=0.15,
    plan_base=1.9,
    plan_scale=0.4,
    play_action_rate=0.12,
    play_action_bite=0.1,
    read="progression",
    read_skill=0.45,
    read_noise=1.2,
    read_open=2.5,
    outcome=OutcomeLaw(
        comp_intercept=1.0,
        comp_sep=0.35,
        comp_air=-0.07,
        yac_sep=0.2,
        break_intercept=-3.4,
        break_sep=0.3,
        break_alpha=1.5,
        break_sigma=14.0,
        int_intercept=-4.2,
        return_long_p=0.15,
    ),
)
POWER_MAN = World(
    name="power_man",
    description="tight formations, man coverage, strong rush, quick game, play-action heavy, "
    "primary-read targeting, short-tailed completion law",
    shotgun_rate=0.35,
    formations={"heavy": 0.5, "trips": 0.3, "doubles": 0.2},
    wr_routes={
        "slant": 0.25,
        "hitch": 0.25,
        "out": 0.2,
        "curl": 0.15,
        "dig": 0.05,
        "go": 0.04,
        "post": 0.03,
        "corner": 0.03,
    },
    te_routes={"cross": 0.35, "out": 0.25, "curl": 0.3, "seam": 0.1},
    route_depth_scale=0.85,
    man_rate=0.85,
    zone_shells={"cover3": 1.0},
    cushion_scale=0.7,
    man_lag=0.12,
    man_trail=0.35,
    charting_accuracy=0.95,
    rush_base=1.35,
    rush_scale=0.85,
    blitz_rate=0.4,
    blitz_speedup=0.3,
    plan_base=1.35,
    plan_scale=0.28,
    play_action_rate=0.4,
    play_action_delay=0.45,
    play_action_bite=0.35,
    read="primary",
    read_noise=0.8,
    read_open=1.5,
    ball_speed=19.0,
    flight_overhead=0.1,
    outcome=OutcomeLaw(
        comp_intercept=1.9,
        comp_sep=0.7,
        comp_air=-0.04,
        comp_pressure=-0.8,
        yac_base=0.9,
        break_intercept=-3.4,
        break_alpha=2.6,
        break_sigma=10.0,
        int_intercept=-3.8,
        int_sep=-0.7,
        return_mean=6.0,
    ),
)
SUPPORTING_CAST = DEFAULT.replace(
    name="supporting_cast",
    description="the default football, but teams' receivers and pass protection differ "
    "twice as much: production follows the supporting cast",
    cast_spread=2.0,
)
WORLDS: dict[str, World] = {w.name: w for w in (DEFAULT, SPREAD_ZONE, POWER_MAN, SUPPORTING_CAST)}


def resolve_world(world: object) -> World:
    """A preset name or a World -> World (ValueError naming ``world`` otherwise)."""
    if isinstance(world, World):
        return world
    if isinstance(world, str) and world in WORLDS:
        return WORLDS[world]
    raise ValueError(f"world must be one of {sorted(WORLDS)} or a World, got {world!r}")


def draw_from_mix(
    rng: np.random.Generator, mix: Mix, catalogue: tuple[str, ...], n: int
) -> np.ndarray:
    """n draws from a mix, as indices into the catalogue's names."""
    ids = np.array([catalogue.index(name) for name, _ in mix])
    return ids[rng.choice(len(mix), size=n, p=[p for _, p in mix])]
