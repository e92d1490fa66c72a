"""The load `make bench` puts on the server (bench/run.py): clients on persistent connections, the
latencies they see, and the CPU time the server and PostgreSQL spend meanwhile."""

import http.client
import os
import threading
import time
from pathlib import Path

import psycopg


def run_clients(
    port: int, jobs: list[list[tuple[str, str, dict, str]]]
) -> tuple[list[float], float, list[int]]:
    """Each job list runs on its own persistent connection; returns latencies, wall time, statuses."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(jobs) + 1)

    def client(requests_: list[tuple[str, str, dict, str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], []
        start.wait()
        for method, path, headers, body in requests_:
            began = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            codes.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    threads = [threading.Thread(target=client, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - began, statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bearer(token: str, client: int = 0) -> dict:
    """A client's headers: its token, and the address nginx would name for it (X-Real-IP; the
    server trusts it as production does behind nginx): each client is another household, on a
    network of its own, rather than sixteen people behind one address."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Real-IP": f"10.{client}.0.7",
    }


def cpu_seconds(pids: list[int]) -> float | None:
    """CPU time (user + system) the processes have used so far, from /proc (Linux, and only for
    processes this user may read, such as a PostgreSQL on this machine); None elsewhere."""
    try:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def server_processes(server_pid: int, info: dict, dbname: str) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the PostgreSQL backends serving the bench's database."""
    workers = [
        int(pid)
        for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    ]
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        backends = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [dbname]
            )
        ]
    return workers, backends


def load(port: int, path: str, tokens: list[str], bodies: list[str]) -> dict:
    """POST each body to ``path``, spread over one client per token; throughput, latencies and,
    where /proc tells, the CPU time the server and PostgreSQL spent per request."""
    per_client = len(bodies) // len(tokens)
    jobs = [
        [
            ("POST", path, bearer(token, i), body)
            for body in bodies[i * per_client : (i + 1) * per_client]
        ]
        for i, token in enumerate(tokens)
    ]
    processes = SERVER.get("processes") or ([], [])
    before = [cpu_seconds(pids) for pids in processes]
    latencies, wall, statuses = run_clients(port, jobs)
    after = [cpu_seconds(pids) for pids in processes]
    assert set(statuses) == {200}, f"{path} answered {sorted(set(statuses))}"
    app_cpu, db_cpu = (
        (end - begin) / len(latencies) * 1000 if begin is not None and end is not None else None
        for begin, end in zip(before, after, strict=True)
    ) if processes[0] else (None, None)  # fmt: skip
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "app_cpu_ms": app_cpu,
        "db_cpu_ms": db_cpu,
        "latencies": latencies,
        "wall_s": wall,
    }


def load_alternating(port: int, rounds: int, kinds: dict[str, tuple]) -> dict[str, dict]:
    """``load`` for each kind (name → path, tokens, bodies), in ``rounds`` turns that alternate
    between the kinds, so that whatever else the machine does weighs on each alike; each kind's
    figures are over all its turns."""
    turns: dict[str, list[dict]] = {name: [] for name in kinds}
    for turn in range(rounds):
        for name, (path, tokens, bodies) in kinds.items():
            share = len(bodies) // rounds
            turns[name].append(load(port, path, tokens, bodies[turn * share : (turn + 1) * share]))
            print(
                "TURN",
                name,
                round(turns[name][-1]["per_s"]),
                round(turns[name][-1]["p99_ms"]),
                turns[name][-1]["app_cpu_ms"],
                turns[name][-1]["db_cpu_ms"],
            )
    combined = {}
    for name, results in turns.items():
        latencies = [latency for result in results for latency in result["latencies"]]
        wall = sum(result["wall_s"] for result in results)

        def mean(field: str, results=results) -> float | None:
            values = [result[field] for result in results]
            return None if None in values else sum(values) / len(values)

        combined[name] = {
            "requests": len(latencies),
            "per_s": len(latencies) / wall,
            "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "app_cpu_ms": mean("app_cpu_ms"),
            "db_cpu_ms": mean("db_cpu_ms"),
        }
    return combined


# The server being measured: its processes once warmed up (workers, PostgreSQL backends).
SERVER: dict = {}
