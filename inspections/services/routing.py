"""Routing of inspectors' days: which visits each inspector-day makes, in which order.

Pure functions over plain data, no database: planning.py gathers the data and stores the
result. Distances are straight lines in RD New (metres) times a detour factor; travel time is
that distance at a configurable speed.

Planning happens in two steps. `select` decides *what* to visit by urgency alone (mandatory
visits, then priority) until the shifts are full, so that what is carried over is explainable.
`solve` then decides *who goes where when* with OR-Tools' vehicle routing with time windows:
every inspector-day is a vehicle that starts and ends at its base within working hours; a visit
is dropped only when it cannot fit (least urgent first). `greedy` plans the same selection the
way many planners do (Amsterdam's visit planner among them): each day the most urgent visit
first, then the nearest ones; the benchmark compares the two.
"""

import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

# Dropping a visit costs far more than any detour, and more for urgent visits: the solver
# leaves one out only when it does not fit, the least urgent first.
MANDATORY_PENALTY = 10**9
PENALTY_M = 10**6
METRES_PER_PRIORITY_POINT = 10_000
# Minutes of travel a visit is assumed to take when estimating how many fit in the shifts.
TRAVEL_ESTIMATE_MINUTES = 12
# Spreads work over inspectors and days: the cost, in metres of driving, of each visit an
# inspector-day has fewer than its fair share (the average, less one); and no inspector-day
# gets more than one visit above the average.
BALANCE_COST_M = 5_000


def day_limit(visits: int, shifts: int) -> int:
    """The most visits one inspector-day gets: one more than an even share."""
    return math.ceil(visits / shifts) + 1 if shifts else 0


@dataclass(frozen=True)
class Stop:
    """A candidate visit."""

    key: int  # the caller's id, e.g. a location id
    x: float  # RD New, metres
    y: float
    priority: float
    mandatory: bool = False
    service_minutes: int = 45
    latest_day: date | None = None  # a re-inspection's deadline
    fixed_day: date | None = None  # an appointment
    fixed_inspector: int | None = None
    window: tuple[int, int] | None = None  # minutes after midnight


@dataclass(frozen=True)
class Shift:
    """An inspector-day: a vehicle."""

    inspector: int
    day: date
    start: int  # minutes after midnight
    end: int
    base_x: float
    base_y: float


@dataclass
class Route:
    shift: Shift
    stops: list[int] = field(default_factory=list)  # indexes into the stops given
    arrivals: list[int] = field(default_factory=list)  # minutes after midnight
    length_m: float = 0.0


@dataclass
class Solution:
    routes: list[Route]
    dropped: list[int]  # indexes of stops not planned, most urgent first
    seconds: float
    method: str

    @property
    def length_m(self) -> float:
        return sum(r.length_m for r in self.routes)

    @property
    def visits(self) -> int:
        return sum(len(r.stops) for r in self.routes)


@dataclass(frozen=True)
class Travel:
    speed_kmh: float = 30.0
    detour: float = 1.3

    def metres(self, ax: float, ay: float, bx: float, by: float) -> float:
        return math.hypot(ax - bx, ay - by) * self.detour

    def minutes(self, metres: float) -> int:
        return math.ceil(metres / 1000 / self.speed_kmh * 60)


def allowed(stop: Stop, shift: Shift) -> bool:
    """Whether this shift may make this visit (its day, its inspector, before the deadline)."""
    if stop.fixed_day is not None and shift.day != stop.fixed_day:
        return False
    if stop.fixed_inspector is not None and shift.inspector != stop.fixed_inspector:
        return False
    return stop.latest_day is None or shift.day <= stop.latest_day


def capacity(shifts: list[Shift], service_minutes: int) -> int:
    """How many visits of this length the shifts hold, roughly."""
    per_visit = service_minutes + TRAVEL_ESTIMATE_MINUTES
    return sum(max(0, (s.end - s.start) // per_visit) for s in shifts)


def urgency(stops: list[Stop]) -> list[int]:
    """Indexes of the stops, most urgent first: mandatory, then by priority (ties by key)."""
    return sorted(
        range(len(stops)), key=lambda i: (not stops[i].mandatory, -stops[i].priority, stops[i].key)
    )


def select(stops: list[Stop], shifts: list[Shift]) -> tuple[list[int], list[int]]:
    """The visits to plan (the mandatory, then the most urgent until the shifts are full) and
    the ones carried over, both most urgent first."""
    order = urgency(stops)
    service = round(float(np.median([s.service_minutes for s in stops]))) if stops else 45
    keep = max(sum(s.mandatory for s in stops), capacity(shifts, service))
    return order[:keep], order[keep:]


def _measure(route: Route, stops: list[Stop], travel: Travel) -> None:
    """Arrival times and length of a route, from its order."""
    x, y, clock = route.shift.base_x, route.shift.base_y, route.shift.start
    route.arrivals, route.length_m = [], 0.0
    for index in route.stops:
        stop = stops[index]
        metres = travel.metres(x, y, stop.x, stop.y)
        route.length_m += metres
        clock += travel.minutes(metres)
        if stop.window:
            clock = max(clock, stop.window[0])
        route.arrivals.append(clock)
        clock += stop.service_minutes
        x, y = stop.x, stop.y
    if route.stops:
        route.length_m += travel.metres(x, y, route.shift.base_x, route.shift.base_y)


def solve(
    stops: list[Stop], shifts: list[Shift], *, travel: Travel, seconds: float | None = None
) -> Solution:
    """Route the selected visits over the shifts, with as little driving as the time allows."""
    started = time.perf_counter()
    chosen, carried_over = select(stops, shifts)
    if not chosen or not shifts:
        return Solution([Route(s) for s in shifts], urgency(stops), 0.0, "or-tools")

    bases = sorted({(s.base_x, s.base_y) for s in shifts})
    points = np.array([*bases, *((stops[i].x, stops[i].y) for i in chosen)])
    gaps = points[:, None, :] - points[None, :, :]
    metres = np.hypot(gaps[..., 0], gaps[..., 1]) * travel.detour
    minutes = np.ceil(metres / 1000 / travel.speed_kmh * 60).astype(int)
    service = np.array([0] * len(bases) + [stops[i].service_minutes for i in chosen])
    distance_rows = metres.round().astype(int).tolist()
    time_rows = (minutes + service[:, None]).tolist()  # travel, plus the visit left behind

    base_node = {base: n for n, base in enumerate(bases)}
    starts = [base_node[(s.base_x, s.base_y)] for s in shifts]
    manager = pywrapcp.RoutingIndexManager(len(points), len(shifts), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    node = manager.IndexToNode
    # Matrices, not Python callbacks: the search evaluates arcs millions of times.
    distance = routing.RegisterTransitMatrix(distance_rows)
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    duration = routing.RegisterTransitMatrix(time_rows)
    routing.AddDimension(duration, 24 * 60, 24 * 60, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for vehicle, shift in enumerate(shifts):
        clock.CumulVar(routing.Start(vehicle)).SetRange(shift.start, shift.end)
        clock.CumulVar(routing.End(vehicle)).SetRange(shift.start, shift.end)
    counter = routing.RegisterUnaryTransitVector([0] * len(bases) + [1] * len(chosen))
    limit = day_limit(len(chosen), len(shifts))
    routing.AddDimension(counter, 0, limit, True, "visits")
    visits = routing.GetDimensionOrDie("visits")
    fair_share = max(0, len(chosen) // len(shifts) - 1)
    for vehicle in range(len(shifts)):
        # Without this an empty day would cost nothing: the solver ignores unused vehicles.
        routing.SetVehicleUsedWhenEmpty(True, vehicle)
        visits.SetCumulVarSoftLowerBound(routing.End(vehicle), fair_share, BALANCE_COST_M)

    for offset, stop_index in enumerate(chosen):
        stop = stops[stop_index]
        index = manager.NodeToIndex(len(bases) + offset)
        if stop.window:
            clock.CumulVar(index).SetRange(*stop.window)
        vehicles = [v for v, shift in enumerate(shifts) if allowed(stop, shift)]
        if len(vehicles) < len(shifts):
            # -1 keeps "not performed" possible (the disjunction decides that).
            routing.VehicleVar(index).SetValues([-1, *vehicles])
        penalty = (
            MANDATORY_PENALTY
            if stop.mandatory
            else PENALTY_M + round(stop.priority * METRES_PER_PRIORITY_POINT)
        )
        routing.AddDisjunction([index], penalty)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    if seconds is None:  # enough for the search to settle: 15 ms a visit, at most 6 s in all
        seconds = min(6.0, 0.5 + 0.015 * len(chosen))
    parameters.time_limit.FromMilliseconds(
        int(max(0.2, seconds - (time.perf_counter() - started)) * 1000)
    )
    routing.CloseModelWithParameters(parameters)
    # Start from a nearest-neighbour plan (found in milliseconds), then improve on it.
    node_of = {stop_index: len(bases) + offset for offset, stop_index in enumerate(chosen)}
    greedy_routes = _nearest_neighbour_routes(stops, shifts, chosen, travel)
    initial = routing.ReadAssignmentFromRoutes(
        [[node_of[i] for i in r.stops] for r in greedy_routes], True
    )
    if initial is not None:
        assignment = routing.SolveFromAssignmentWithParameters(initial, parameters)
    else:  # e.g. appointments the greedy plan could not honour: let the solver build its own
        parameters.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        assignment = routing.SolveWithParameters(parameters)
    if assignment is None:
        raise RuntimeError("The routing solver found no solution.")

    routes, planned = [], set()
    for vehicle, shift in enumerate(shifts):
        route = Route(shift)
        index = assignment.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            route.stops.append(chosen[node(index) - len(bases)])
            index = assignment.Value(routing.NextVar(index))
        planned.update(route.stops)
        _measure(route, stops, travel)
        routes.append(route)
    dropped = [i for i in chosen if i not in planned] + carried_over
    return Solution(routes, dropped, time.perf_counter() - started, "or-tools")


def _done_at(
    stop: Stop, shift: Shift, x: float, y: float, clock: int, travel: Travel
) -> int | None:
    """When the visit would be done if made next from (x, y) at `clock`; None if it does not fit."""
    if not allowed(stop, shift):
        return None
    arrive = clock + travel.minutes(travel.metres(x, y, stop.x, stop.y))
    if stop.window:
        if arrive > stop.window[1]:
            return None
        arrive = max(arrive, stop.window[0])
    done = arrive + stop.service_minutes
    home = done + travel.minutes(travel.metres(stop.x, stop.y, shift.base_x, shift.base_y))
    return done if home <= shift.end else None


def greedy(stops: list[Stop], shifts: list[Shift], *, travel: Travel) -> Solution:
    """The baseline: the same selection planned as Amsterdam's visit planner does. Each day takes
    the most urgent visit left as its centre, adds the visits nearest to that centre (straight
    line) while the day has time, and goes round them in order of distance from the centre."""
    started = time.perf_counter()
    chosen, carried_over = select(stops, shifts)
    remaining = list(chosen)
    routes = []
    limit = day_limit(len(chosen), len(shifts))
    for shift in shifts:
        route = Route(shift)
        centre = next((i for i in remaining if allowed(stops[i], shift)), None)
        if centre is not None:
            cx, cy = stops[centre].x, stops[centre].y
            by_distance = sorted(
                remaining, key=lambda i: math.hypot(stops[i].x - cx, stops[i].y - cy)
            )
            for candidate in by_distance:
                if len(route.stops) == limit:
                    break
                trial = Route(shift, [*route.stops, candidate])
                if allowed(stops[candidate], shift) and _feasible(trial, stops, travel):
                    route = trial
            for index in route.stops:
                remaining.remove(index)
        _measure(route, stops, travel)
        routes.append(route)
    return Solution(routes, remaining + carried_over, time.perf_counter() - started, "greedy")


def _feasible(route: Route, stops: list[Stop], travel: Travel) -> bool:
    """Whether the route, in its order, keeps every window and ends within the shift."""
    _measure(route, stops, travel)
    for index, arrival in zip(route.stops, route.arrivals, strict=True):
        window = stops[index].window
        if window and arrival > window[1]:
            return False
    last = stops[route.stops[-1]]
    home = route.arrivals[-1] + last.service_minutes
    home += travel.minutes(travel.metres(last.x, last.y, route.shift.base_x, route.shift.base_y))
    return home <= route.shift.end


def _nearest_neighbour_routes(
    stops: list[Stop], shifts: list[Shift], chosen: list[int], travel: Travel
) -> list[Route]:
    """A quick start for the solver: each day the most urgent visit that fits, then the nearest
    visit that still fits, again and again."""
    remaining = list(chosen)
    routes = []
    limit = math.ceil(len(chosen) / len(shifts))  # an even share: every day gets work
    for shift in shifts:
        route, x, y, clock = Route(shift), shift.base_x, shift.base_y, shift.start
        current = next(
            (i for i in remaining if _done_at(stops[i], shift, x, y, clock, travel)), None
        )
        while current is not None and len(route.stops) < limit:
            clock = _done_at(stops[current], shift, x, y, clock, travel)
            route.stops.append(current)
            remaining.remove(current)
            x, y = stops[current].x, stops[current].y
            nearby = sorted(remaining, key=lambda i: math.hypot(stops[i].x - x, stops[i].y - y))
            current = next(
                (i for i in nearby if _done_at(stops[i], shift, x, y, clock, travel)), None
            )
        _measure(route, stops, travel)
        routes.append(route)
    return routes
