"""Cross-carrier journeys: one parcel, several legs (Cainiao -> USPS ...), one merged story.

The planner is written once as a generator, like an operation's flow: it yields a :class:`Leg` to
track and receives its :class:`TrackingInfo`, or has the leg's error thrown in. The clients drive
it with the flow drivers, tracking each leg under what is left of the journey's one deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ._enums import TrackingStatus
from ._exceptions import CarrierError
from ._identify import is_valid_s10, normalize_number
from ._models import RelatedNumber, TrackingEvent, TrackingInfo

if TYPE_CHECKING:
    from ._registry import CarrierRegistry

__all__ = ["Journey", "JourneyEvent", "JourneyLeg", "JourneyPlanner"]


@attrs.frozen(kw_only=True)
class JourneyLeg:
    """One carrier's part of a journey: its info, or the error that stopped it.

    ``relation`` says how the leg was found (``"start"``, ``"last_mile"``, ``"s10_shared"`` ...).
    """

    carrier: str
    tracking_number: str
    relation: str = "start"
    info: TrackingInfo | None = None
    error: CarrierError | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class JourneyEvent:
    """A tracking event in a merged journey, tagged with the leg it came from."""

    carrier: str
    tracking_number: str
    event: TrackingEvent


@attrs.frozen(kw_only=True)
class Journey:
    """A parcel followed across carriers.

    ``events`` merges every leg's events, de-duplicated and oldest first; ``status`` is the
    current status of the journey (the latest event's, across legs).

    .. versionadded:: 0.1
    """

    tracking_number: str
    legs: tuple[JourneyLeg, ...]
    events: tuple[JourneyEvent, ...]
    status: TrackingStatus

    @property
    def failed_legs(self) -> tuple[JourneyLeg, ...]:
        """Legs that could not be tracked."""
        return tuple(leg for leg in self.legs if leg.error is not None)


class Leg(NamedTuple):
    """One leg to track: ``number`` with ``carrier``, within ``remaining`` seconds."""

    carrier: str
    number: str
    remaining: float


Step = Generator[Leg, TrackingInfo, Journey]


class JourneyPlanner:
    """Finds and tracks a journey's legs breadth first: bounded, loop-free."""

    def __init__(self, *, max_legs: int = 4) -> None:
        if max_legs < 1:
            raise ValueError("max_legs must be >= 1")
        self.max_legs = max_legs

    def plan(
        self,
        number: str,
        carrier: str | None,
        *,
        resolve: Callable[[str, str | None], str],
        registry: CarrierRegistry,
        remaining: Callable[[], float],
        deadline: float,
    ) -> Step:
        """The journey as a generator of legs to track.

        ``resolve(number, carrier)`` names the carrier of the first leg (it raises when none or
        several claim the number); ``registry`` identifies the carriers of related numbers;
        ``remaining()`` is what is left of the journey's ``deadline`` (seconds).
        """
        start = normalize_number(number)
        first = resolve(start, carrier)
        queue: list[tuple[str, str, str]] = [(first, start, "start")]
        if carrier is None and is_valid_s10(start):
            # An S10 item is tracked by the origin post and by the destination post.
            for claim in registry.identify(start):
                if claim.carrier != first:
                    queue.append((claim.carrier, start, "s10_shared"))
        seen: set[tuple[str, str]] = set()
        legs: list[JourneyLeg] = []
        while queue and len(legs) < self.max_legs:
            code, tracking_number, relation = queue.pop(0)
            if (code, tracking_number) in seen:
                continue
            seen.add((code, tracking_number))
            outcome: TrackingInfo | CarrierError
            try:
                left = remaining()
                if left <= 0:
                    raise _journey_timeout(deadline, code)
                outcome = yield Leg(code, tracking_number, left)
            except CarrierError as err:
                outcome = err
            if isinstance(outcome, CarrierError):
                legs.append(
                    JourneyLeg(
                        carrier=code,
                        tracking_number=tracking_number,
                        relation=relation,
                        error=outcome,
                    )
                )
                continue
            legs.append(JourneyLeg(carrier=code, tracking_number=tracking_number, relation=relation, info=outcome))
            for related in outcome.related_numbers:
                target = _carrier_for(registry, related)
                if target is None:
                    legs.append(
                        JourneyLeg(
                            carrier=related.carrier or "?",
                            tracking_number=related.tracking_number,
                            relation=related.relation,
                            error=_unknown(related),
                        )
                    )
                    continue
                queue.append((target, normalize_number(related.tracking_number), related.relation))
        return _merge(start, legs)


def _carrier_for(registry: CarrierRegistry, related: RelatedNumber) -> str | None:
    if related.carrier and related.carrier in registry:
        return related.carrier
    claims = registry.identify(related.tracking_number)
    return claims[0].carrier if claims else None


def _journey_timeout(deadline: float, code: str) -> CarrierError:
    from ._exceptions import APITimeoutError

    return APITimeoutError(
        f"the journey's {deadline:g}s deadline passed before this leg could be tracked",
        carrier=code,
        operation="track",
    )


def _unknown(related: RelatedNumber) -> CarrierError:
    from ._exceptions import UnknownCarrierError

    return UnknownCarrierError(
        f"no installed carrier tracks {related.tracking_number!r}",
        carrier=related.carrier,
        number=related.tracking_number,
    )


def _merge(number: str, legs: list[JourneyLeg]) -> Journey:
    seen: set[tuple[Any, ...]] = set()
    merged: list[JourneyEvent] = []
    for leg in legs:
        if leg.info is None:
            continue
        for event in leg.info.events:
            key = (event.occurred_at, event.status, " ".join(event.description.lower().split()))
            if key in seen:
                continue
            seen.add(key)
            merged.append(JourneyEvent(carrier=leg.carrier, tracking_number=leg.tracking_number, event=event))
    merged.sort(key=lambda e: e.event.occurred_at)
    if merged:
        status = merged[-1].event.status
    else:
        infos = [leg.info for leg in legs if leg.info is not None]
        status = infos[-1].status if infos else TrackingStatus.UNKNOWN
    return Journey(tracking_number=number, legs=tuple(legs), events=tuple(merged), status=status)
