"""`make bench`: the portal's speed beside the database's own limit, measured in one run.

It makes a fresh database (`pairing_portal_bench`, on DATABASE_URL's server or the embedded one),
fills it with a district, serves the portal with gunicorn as production would, and measures:

1. redemption through POST /api/v1/users/self/observees at 16 clients, beside the framework floor
   (bench/floor_views.py: the same server, middleware and token, only the essential statements),
   the two taking turns, and the same database work done directly with psycopg from 16 threads (the raw-SQL limit);
2. Export Pairing Codes for a 10,000-student course, beside INSERT … SELECT plus COPY;
3. the People page of a 2,000-student course;
4. SIS imports of 100,000 rows of each kind of file (users, courses, enrollments, user_observers),
   as the worker runs them, and the peak memory of `manage.py sis_import` importing a
   1,000,000-row users.csv;
5. pairing-code generation at the API at 16 clients.

The People page and code generation are measured beside their own framework floors too. The
server is gunicorn with the production configuration (deploy/gunicorn.conf.py; GUNICORN_* in the
environment change it) and bench/floor_settings.py, which mounts the floor's routes beside the
portal's. `python bench/run.py redemption` measures redemption alone (a minute, not five).

It prints a table and writes bench/results.json (the full run only). The load generator is Python on the same two
cores as the server and the database, so it takes a share of the machine too; the figures are for
comparing, side by side, on one machine.
"""

import http.client
import importlib.util
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
    build_district,
    codes_for,
)
from floor_sql import REDEEM
from load import (
    SERVER,
    bearer,
    load,
    load_alternating,
    percentile,
    run_clients,
    server_processes,
)
from psycopg import sql
from report import print_table
from sis import measure_import_memory, measure_oneroster_import, measure_sis_imports

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Redemption and its floor take turns (load_alternating), so that a busy moment of the machine
# weighs on both alike rather than on whichever ran then.
ROUNDS = 6
# Dropped and made again by each run; BENCH_DATABASE names another (two benches on one server).
BENCH_DB = os.environ.get("BENCH_DATABASE") or "pairing_portal_bench"


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
        # As behind production's nginx: the client's address from X-Real-IP (bench/load.py).
        "CLIENT_ADDRESS_HEADER": "HTTP_X_REAL_IP",
        # New links owe their students e-mails (rows for the worker, which does not run here);
        # should anything send mail, it goes nowhere.
        "EMAIL_URL": "dummymail://",
        "EMAIL_ALLOW_CONSOLE": "true",
        "DJANGO_SETTINGS_MODULE": "pairing_portal.settings",
        # The server's only (main() sets it there): the portal plus the floor's routes.
        "SERVER_SETTINGS_MODULE": "bench.floor_settings",
        # Production's static files (hashed names, read from their manifest), collected below.
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "pairing-portal-bench-static"),
        "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "pairing-portal-bench-media"),
    }


# --- The measurements ---------------------------------------------------------------------------------


def measure_redemption(port: int, data: dict, info: dict) -> dict:
    """The portal, then the framework floor, then the raw-SQL limit, each with its own codes."""

    def bodies(course) -> list[str]:
        codes = codes_for(course, data["admin"])
        random.shuffle(codes)
        return [urlencode({"pairing_code": code}) for code in codes]

    portal_bodies, floor_bodies = bodies(data["redeem_course"]), bodies(data["floor_course"])
    portal_path, floor_path = "/api/v1/users/self/observees", "/api/v1/floor/redeem"
    # Two requests of each kind per client first, to warm every process and thread up (imports,
    # connections, prepared statements) before either is timed.
    warm = 2 * CLIENTS
    load(port, portal_path, data["observer_tokens"], portal_bodies[:warm])
    load(port, floor_path, data["floor_observer_tokens"], floor_bodies[:warm])
    SERVER["processes"] = server_processes(SERVER["pid"], info, BENCH_DB)
    measured = load_alternating(
        port,
        ROUNDS,
        {
            "portal": (portal_path, data["observer_tokens"], portal_bodies[warm:]),
            "floor": (floor_path, data["floor_observer_tokens"], floor_bodies[warm:]),
        },
    )
    portal, floor = measured["portal"], measured["floor"]
    limit = redemption_database_limit(data, info)
    return {
        "requests": portal["requests"],
        "portal_per_s": portal["per_s"],
        "p50_ms": portal["p50_ms"],
        "p99_ms": portal["p99_ms"],
        "floor_per_s": floor["per_s"],
        "floor_p50_ms": floor["p50_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "cpu_ms": {
            kind: {"app": result["app_cpu_ms"], "database": result["db_cpu_ms"]}
            for kind, result in (("portal", portal), ("floor", floor))
        },
        "database_limit_tx_per_s": limit,
        "ratio": portal["per_s"] / limit,
        "floor_ratio": portal["per_s"] / floor["per_s"],
        "floor_to_limit": floor["per_s"] / limit,
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
                    # The floor's statements (bench/floor_sql.py), without the framework.
                    student, institution = conn.execute(REDEEM[0], [observer, digest]).fetchone()
                    conn.execute(REDEEM[1], [observer, student, institution])
                    conn.execute(REDEEM[2], [observer, student])

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

    def pages(path: str) -> list[float]:
        latencies, _wall, statuses = run_clients(
            port, [[("GET", path, {"Cookie": cookie}, None)] * 50]
        )
        assert set(statuses) == {200}, statuses
        return latencies

    latencies = pages(path)
    floor = pages(f"/floor/people/{data['people_course']}")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(data["teacher"])
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return {
        "students": PEOPLE_STUDENTS,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "queries": len(captured.captured_queries),
        "floor_p50_ms": percentile(floor, 0.5) * 1000,
        "floor_p99_ms": percentile(floor, 0.99) * 1000,
        # The floor's time over the portal's: the share of the floor's speed the page reaches.
        "floor_ratio": percentile(floor, 0.5) / percentile(latencies, 0.5),
    }


def measure_generation(port: int, data: dict) -> dict:
    """The API's codes, then the floor's, each for students of their own (one code each)."""

    def per_student(path: str, students: list[int]) -> dict:
        jobs = [
            [
                (
                    "POST",
                    path.format(students[i * GENERATIONS_PER_CLIENT + n]),
                    bearer(data["generate_tokens"][i], i),
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

    portal = per_student("/api/v1/users/{}/observer_pairing_codes", data["generate_students"])
    floor = per_student("/api/v1/floor/generate/{}", data["floor_generate_students"])
    return {
        **portal,
        "floor_per_s": floor["per_s"],
        "floor_p50_ms": floor["p50_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "floor_ratio": portal["per_s"] / floor["per_s"],
    }


# --- Run ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    """gunicorn with the production configuration (deploy/gunicorn.conf.py), the bench's settings
    (the floor's routes), on ``port``; returns once it accepts connections."""
    server = subprocess.Popen(
        # Workers are not replaced while measured: production replaces each after some 2,000
        # requests (max_requests), and a new process's start (a second of CPU here) would land
        # inside whichever turn was running.
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--max-requests", "0"],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": env["SERVER_SETTINGS_MODULE"],
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "LOG_FORMAT": "text",
            # Only what goes wrong (the portal logs a line per request otherwise).
            "LOG_LEVEL": "WARNING",
        },
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise
            time.sleep(0.2)


def server_shape() -> dict:
    """What deploy/gunicorn.conf.py makes of the environment (GUNICORN_*)."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "deploy/gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return {"worker_class": conf.worker_class, "workers": conf.workers, "threads": conf.threads}


def main(only: list[str]) -> None:
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
    shape = server_shape()
    print(f"gunicorn: {shape}", flush=True)
    server = start_server(env, port)
    SERVER["pid"] = server.pid
    results = {
        "machine": {"cpus": os.cpu_count(), "clients": CLIENTS, "gunicorn": shape},
    }
    try:
        results["redemption"] = measure_redemption(port, data, info)
        if not only:
            results["export"] = measure_export(port, data, info)
            results["people"] = measure_people(port, data)
            results["sis_import"] = measure_sis_imports(data)
            results["oneroster_import"] = measure_oneroster_import(data)
            results["generation"] = measure_generation(port, data)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not only:
        print("SIS import of a 1,000,000-row users.csv by the command (peak memory)…", flush=True)
        results["sis_import_memory"] = measure_import_memory(data, env)
        (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    if not only:
        print(f"\nWritten to {ROOT / 'bench' / 'results.json'}")


if __name__ == "__main__":
    wanted = sys.argv[1:]
    if wanted not in ([], ["redemption"]):
        sys.exit("usage: python bench/run.py [redemption]")
    main(wanted)
