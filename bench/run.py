"""`make bench`: the portal's speed beside the database's own limit, measured in one run.

It makes a fresh database (`pairing_portal_bench`, on DATABASE_URL's server or the embedded one),
fills it with a district, serves the portal with gunicorn as production would, and measures:

1. redemption through POST /api/v1/users/self/observees at 16 clients, beside the same database
   work done directly with psycopg from 16 threads;
2. Export Pairing Codes for a 10,000-student course, beside INSERT … SELECT plus COPY;
3. the People page of a 2,000-student course;
4. SIS imports of 100,000 rows of each kind of file (users, courses, enrollments, user_observers),
   as the worker runs them, and the peak memory of `manage.py sis_import` importing a
   1,000,000-row users.csv; a OneRoster 1.1 bulk zip (100,000 users with their parents'
   agentSourcedIds, classes and enrollments), first and again;
5. pairing-code generation at the API at 16 clients.

It prints a table and writes bench/results.json. The load generator is Python on the same two
cores as the server and the database, so it takes a share of the machine too; the figures are for
comparing, side by side, on one machine.
"""

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from district import (
    CLIENTS,
    EXPORT_STUDENTS,
    GENERATIONS_PER_CLIENT,
    PEOPLE_STUDENTS,
    REDEMPTIONS_PER_CLIENT,
    build_district,
    codes_for,
)
from psycopg import sql
from sis import measure_import_memory, measure_oneroster_import, measure_sis_imports

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "pairing_portal_bench"


# --- The database -------------------------------------------------------------------------------


def server_conninfo() -> dict:
    """How to reach the PostgreSQL server: DATABASE_URL's, or the embedded one in .pgdata/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
        info.pop("dbname", None)
        return info
    from pairing_portal.embedded_postgres.server import socket_dir_for

    return {"host": socket_dir_for(ROOT / ".pgdata"), "user": "postgres"}


def fresh_database(info: dict) -> str:
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    host = info.get("host", "127.0.0.1")
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{BENCH_DB}?host={host}"
    return f"postgres://{user}{password}@{host}:{info.get('port', 5432)}/{BENCH_DB}"


def portal_environment(database_url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "ENV_FILE": "/dev/null",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        # Each thread keeps its connection, as in the figures below; production's pool (the
        # default with DEBUG off, which refuses CONN_MAX_AGE) is not measured here yet.
        "CONN_MAX_AGE": "600",
        "DB_POOL_MAX_SIZE": "0",
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        # New links owe their students e-mails (rows for the worker, which does not run here);
        # should anything send mail, it goes nowhere.
        "EMAIL_URL": "dummymail://",
        "EMAIL_ALLOW_CONSOLE": "true",
        "DJANGO_SETTINGS_MODULE": "pairing_portal.settings",
        # Production's static files (hashed names, read from their manifest), collected below.
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "pairing-portal-bench-static"),
        "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "pairing-portal-bench-media"),
    }


# --- Load -----------------------------------------------------------------------------------------


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


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"}


# --- The measurements ---------------------------------------------------------------------------------


def measure_redemption(port: int, data: dict, info: dict) -> dict:
    codes = codes_for(data["redeem_course"], data["admin"])
    random.shuffle(codes)
    jobs = [
        [
            (
                "POST",
                "/api/v1/users/self/observees",
                bearer(token),
                urlencode({"pairing_code": code}),
            )
            for code in codes[i * REDEMPTIONS_PER_CLIENT : (i + 1) * REDEMPTIONS_PER_CLIENT]
        ]
        for i, token in enumerate(data["observer_tokens"])
    ]
    latencies, wall, statuses = run_clients(port, jobs)
    assert set(statuses) == {200}, f"redemptions answered {sorted(set(statuses))}"
    portal = len(latencies) / wall
    limit = redemption_database_limit(data, info)
    return {
        "requests": len(latencies),
        "portal_per_s": portal,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "database_limit_tx_per_s": limit,
        "ratio": portal / limit,
    }


def redemption_database_limit(data: dict, info: dict) -> float:
    """The same writes as a redemption, straight from psycopg: spend the code, link, fan out."""
    from pairing.code_format import code_hash

    codes = codes_for(data["limit_course"], data["admin"])
    hashes = [code_hash(code) for code in codes]
    per_thread = len(hashes) // CLIENTS
    barrier = threading.Barrier(CLIENTS + 1)

    def worker(index: int) -> None:
        observer = data["limit_observers"][index]
        with psycopg.connect(**info, dbname=BENCH_DB) as conn:
            barrier.wait()
            for digest in hashes[index * per_thread : (index + 1) * per_thread]:
                with conn.transaction():
                    student, institution = conn.execute(
                        """UPDATE pairing_pairingcode code SET state = 'used', used_by_id = %s, ended_at = now()
                           FROM accounts_user student
                           WHERE code.code_hash = %s AND code.state = 'active' AND code.expires_at > now()
                             AND student.id = code.student_id
                           RETURNING code.student_id, student.institution_id""",
                        [observer, digest],
                    ).fetchone()
                    conn.execute(
                        """INSERT INTO pairing_observerlink
                             (observer_id, student_id, institution_id, state, source, created_at)
                           VALUES (%s, %s, %s, 'active', 'pairing_code', now())
                           ON CONFLICT ON CONSTRAINT observer_link_unique DO NOTHING""",
                        [observer, student, institution],
                    )
                    conn.execute(
                        """INSERT INTO courses_enrollment
                             (user_id, course_id, type, state, associated_user_id, created_at, updated_at)
                           SELECT %s, e.course_id, 'ObserverEnrollment', 'active', e.user_id, now(), now()
                           FROM courses_enrollment e
                           WHERE e.user_id = %s AND e.type = 'StudentEnrollment' AND e.state IN ('active', 'invited')
                           ON CONFLICT ON CONSTRAINT enrollment_unique DO NOTHING""",
                        [observer, student],
                    )

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return per_thread * CLIENTS / (time.perf_counter() - began)


def session_for(user) -> tuple[str, str]:
    """A logged-in session and CSRF token for ``user``, as a browser would hold them."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    secret = _get_new_csrf_string()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={secret}"
    return cookie, _mask_cipher_secret(secret)


def measure_export(port: int, data: dict, info: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    course_id = data["export_course"]
    cookie, csrf = session_for(data["admin"])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    began = time.perf_counter()
    conn.request(
        "POST",
        f"/courses/{course_id}/observer_pairing_codes.csv",
        headers={"Cookie": cookie, "X-CSRFToken": csrf, "Content-Length": "0"},
    )
    response = conn.getresponse()
    body = response.read()
    wall = time.perf_counter() - began
    assert response.status == 200, response.status
    rows = body.count(b"\n") - 1
    assert rows == EXPORT_STUDENTS, rows

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(data["admin"])
    with CaptureQueriesContext(connection) as captured:
        streamed = client.post(f"/courses/{course_id}/observer_pairing_codes.csv")
        b"".join(streamed.streaming_content)
    queries = len(captured.captured_queries)

    with psycopg.connect(**info, dbname=BENCH_DB) as direct:
        limit_began = time.perf_counter()
        with direct.transaction():
            direct.execute(
                """INSERT INTO pairing_pairingcode (student_id, code_hash, created_at, expires_at, state)
                   SELECT e.user_id, md5(random()::text || e.user_id) || md5(random()::text), now(),
                          now() + interval '7 days', 'active'
                   FROM courses_enrollment e WHERE e.course_id = %s AND e.type = 'StudentEnrollment'""",
                [course_id],
            )
            with direct.cursor().copy(
                sql.SQL(
                    """COPY (SELECT split_part(u.sortable_name, ', ', 1), split_part(u.sortable_name, ', ', 2),
                                    coalesce(u.sis_user_id, ''), left(c.code_hash, 6), c.expires_at
                             FROM pairing_pairingcode c JOIN accounts_user u ON u.id = c.student_id
                             WHERE c.created_at = now()) TO STDOUT WITH (FORMAT csv, HEADER)"""
                )
            ) as copy:
                copied = sum(len(chunk) for chunk in copy)
        limit = time.perf_counter() - limit_began
    assert copied > 0
    return {
        "rows": rows,
        "portal_s": wall,
        "queries": queries,
        "database_limit_s": limit,
        "ratio": wall / limit,
    }


def measure_people(port: int, data: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cookie, _csrf = session_for(data["teacher"])
    path = f"/courses/{data['people_course']}/users"
    latencies, _wall, statuses = run_clients(port, [[("GET", path, {"Cookie": cookie}, None)] * 50])
    assert set(statuses) == {200}, statuses
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(data["teacher"])
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return {
        "students": PEOPLE_STUDENTS,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "queries": len(captured.captured_queries),
    }


def measure_generation(port: int, data: dict) -> dict:
    students = data["generate_students"]
    jobs = [
        [
            (
                "POST",
                f"/api/v1/users/{students[i * GENERATIONS_PER_CLIENT + n]}/observer_pairing_codes",
                bearer(data["generate_tokens"][i]),
                "",
            )
            for n in range(GENERATIONS_PER_CLIENT)
        ]
        for i in range(CLIENTS)
    ]
    latencies, wall, statuses = run_clients(port, jobs)
    assert set(statuses) == {200}, sorted(set(statuses))
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


# --- Run ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    info = server_conninfo()
    database_url = fresh_database(info)
    env = portal_environment(database_url)
    os.environ.update(env)
    print(f"Database: {BENCH_DB} on {info.get('host')}", flush=True)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--clear"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"], cwd=ROOT, env=env, check=True
        )

    import django

    django.setup()
    began = time.perf_counter()
    data = build_district()
    print(f"Demo district built in {time.perf_counter() - began:.1f} s", flush=True)

    port = free_port()
    workers = os.cpu_count() or 2
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "pairing_portal.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers * 2),
            "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        results = {
            "machine": {
                "cpus": os.cpu_count(),
                "gunicorn_workers": workers * 2,
                "threads": 4,
                "clients": CLIENTS,
            },
            "redemption": measure_redemption(port, data, info),
            "export": measure_export(port, data, info),
            "people": measure_people(port, data),
            "sis_import": measure_sis_imports(data),
            "oneroster_import": measure_oneroster_import(data),
            "generation": measure_generation(port, data),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("SIS import of a 1,000,000-row users.csv by the command (peak memory)…", flush=True)
    results["sis_import_memory"] = measure_import_memory(data, env)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def print_table(r: dict) -> None:
    red, exp, ppl, sis, gen, mem = (
        r["redemption"],
        r["export"],
        r["people"],
        r["sis_import"],
        r["generation"],
        r["sis_import_memory"],
    )
    rows = [
        ("Redemption, API, 16 clients", f"{red['portal_per_s']:.0f} req/s, p50 {red['p50_ms']:.1f} ms, p99 {red['p99_ms']:.1f} ms",
         f"{red['database_limit_tx_per_s']:.0f} tx/s", f"{red['ratio']:.0%} of limit", "≥ 50 %, p99 < 50 ms"),
        (f"Export, {exp['rows']:,} students", f"{exp['portal_s']:.2f} s, {exp['queries']} queries",
         f"{exp['database_limit_s']:.2f} s", f"{exp['ratio']:.1f}× limit", "< 1 s, ≤ 10 queries"),
        (f"People page, {ppl['students']:,} students", f"p50 {ppl['p50_ms']:.1f} ms, p99 {ppl['p99_ms']:.1f} ms, {ppl['queries']} queries",
         "", "", "p99 < 150 ms"),
        *[(f"SIS import, {sis[kind]['rows']:,}-row {kind}.csv", f"{sis[kind]['rows_per_s']:,.0f} rows/s ({sis[kind]['seconds']:.1f} s)", "", "", "≥ 10,000 rows/s")
          for kind in ("users", "courses", "enrollments", "user_observers")],
        *[(f"OneRoster import, {r['oneroster_import'][run]['rows']:,} rows ({label})", f"{r['oneroster_import'][run]['rows_per_s']:,.0f} rows/s ({r['oneroster_import'][run]['seconds']:.1f} s)", "", "", "≥ 10,000 rows/s")
          for run, label in (("first", "a first import"), ("again", "the same bulk export again"))],
        ("SIS import, the same users.csv again (unchanged)", f"{sis['users_again']['rows_per_s']:,.0f} rows/s ({sis['users_again']['seconds']:.1f} s)", "", "", ""),
        (f"SIS import, {mem['rows']:,}-row users.csv ({mem['file_mb']:.0f} MB), `sis_import` command", f"peak {mem['peak_rss_mb']:.0f} MB RSS, {mem['seconds']:.0f} s", "", "", "< 500 MB"),
        ("Code generation, API, 16 clients", f"{gen['per_s']:.0f} req/s, p50 {gen['p50_ms']:.1f} ms, p99 {gen['p99_ms']:.1f} ms", "", "", ""),
    ]  # fmt: skip
    header = ("measure", "portal", "database alone", "ratio", "target")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"\nWritten to {ROOT / 'bench' / 'results.json'}")


if __name__ == "__main__":
    main()
