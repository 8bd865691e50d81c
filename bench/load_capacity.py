"""Capacity of the load bench (bench/load.py, phase iii): the offered rate at which p95 passes
150 ms, for autosaves and for opens, on the product's endpoint and on the plain-view floor.

Open loop: requests are sent at the offered rate whatever the server answers (as many
browsers would), each on a seat (an audit) that has no request in flight, so a save never
races its own seat's previous save. A step whose request finds no free seat counts it as
shed. The rate starts at START_RATE and grows by STEP_FACTOR each step of ``seconds``
until p95 passes P95_LIMIT_MS, more than 1% of the step's requests fail or are shed, the
rate passes ``max_rate`` or the ramp has run ``budget`` seconds: bounded in count and in
time, on loopback only. The knee is the highest rate that kept p95 within the limit with
at most 1% failed.
"""

import asyncio
import json
from collections import deque

P95_LIMIT_MS = 150.0
START_RATE = 25.0
STEP_FACTOR = 1.4
FAILED_LIMIT = 0.01


async def _step(port, seats, questions, kind, floor, rate, seconds, call, edit, prefix) -> dict:
    loop = asyncio.get_running_loop()
    free = deque(range(len(seats)))
    latencies: list[float] = []
    failed = shed = 0
    tasks: set[asyncio.Task] = set()

    async def one(index: int) -> None:
        nonlocal failed
        seat = seats[index]
        target = f"{prefix}{seat.audit_id}/" if floor else f"/api/v1/audits/{seat.audit_id}/"
        try:
            if kind == "open":
                status, _, _, took = await call(port, "GET", target, token=seat.token)
            else:
                answers = edit(seat, questions, index)
                body = json.dumps({"version": seat.version, "answers": answers}).encode()
                status, headers, _, took = await call(port, "PATCH", target, body, token=seat.token)
                if status == 200:
                    seat.answers = answers
                    etag = headers.get("etag")
                    seat.version = int(etag.strip('"')) if etag else seat.version + 1
        except (OSError, TimeoutError):
            failed += 1
            return
        finally:
            free.append(index)
        latencies.append(took)
        if status != 200:
            failed += 1

    start = loop.time()
    total = max(1, int(rate * seconds))
    for number in range(total):
        delay = start + number / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if not free:
            shed += 1
            continue
        task = asyncio.create_task(one(free.popleft()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(0.95 * len(ordered) + 0.999) - 1)] * 1000 if ordered else None
    return {
        "rate": round(rate, 1),
        "sent": total - shed,
        "served_per_s": round((len(latencies) - failed) / elapsed, 1) if elapsed else 0.0,
        "p95_ms": None if p95 is None else round(p95, 1),
        "failed": failed,
        "shed": shed,
    }


def _within(step: dict) -> bool:
    bad = step["failed"] + step["shed"]
    return (
        step["p95_ms"] is not None
        and step["p95_ms"] <= P95_LIMIT_MS
        and bad <= FAILED_LIMIT * (step["sent"] + step["shed"])
    )


def ramp(port, seats, questions, *, kind, floor, seconds, max_rate, budget, **tools):
    """Run the steps (see the module docstring); returns {"knee_rps", "steps"}. tools:
    call, edit and prefix (bench/load.py's request, edit and floor path) and log."""
    rate, steps, spent, knee = START_RATE, [], 0.0, 0.0
    name = f"{kind} {'floor' if floor else 'ours'}"
    while rate <= max_rate and spent + seconds <= budget:
        step = asyncio.run(
            _step(
                port,
                seats,
                questions,
                kind,
                floor,
                rate,
                seconds,
                tools["call"],
                tools["edit"],
                tools["prefix"],
            )
        )
        spent += seconds
        steps.append(step)
        tools["log"](
            f"(iii) {name} at {step['rate']}/s: served {step['served_per_s']}/s, p95 "
            f"{step['p95_ms']} ms, failed {step['failed']}, shed {step['shed']}"
        )
        if not _within(step):
            break
        knee = step["rate"]
        rate *= STEP_FACTOR
    return {"knee_rps": knee, "steps": steps}
