"""The table `make bench` prints (bench/run.py): each measure beside its framework floor and its
database limit, where the bench has them."""


def print_table(r: dict) -> None:
    red = r["redemption"]
    rows = [
        ("Redemption, API, 16 clients",
         f"{red['portal_per_s']:.0f} req/s, p50 {red['p50_ms']:.1f} ms, p99 {red['p99_ms']:.1f} ms",
         f"{red['floor_per_s']:.0f} req/s, p99 {red['floor_p99_ms']:.1f} ms",
         f"{red['database_limit_tx_per_s']:.0f} tx/s",
         f"{red['floor_ratio']:.0%} of floor, {red['ratio']:.0%} of limit",
         "≥ 85 % of floor, ≥ 15 % of limit, p99 < 100 ms"),
    ]  # fmt: skip
    if "export" in r:
        exp, ppl, sis, gen, mem = (
            r["export"], r["people"], r["sis_import"], r["generation"], r["sis_import_memory"]
        )  # fmt: skip
        rows += [
            (f"Export, {exp['rows']:,} students", f"{exp['portal_s']:.2f} s, {exp['queries']} queries",
             "", f"{exp['database_limit_s']:.2f} s", f"{exp['ratio']:.1f}× limit", "< 1 s, ≤ 10 queries"),
            (f"People page, {ppl['students']:,} students", f"p50 {ppl['p50_ms']:.1f} ms, p99 {ppl['p99_ms']:.1f} ms, {ppl['queries']} queries",
             f"p50 {ppl['floor_p50_ms']:.1f} ms, p99 {ppl['floor_p99_ms']:.1f} ms", "",
             f"{ppl['floor_ratio']:.0%} of floor", "p99 < 150 ms"),
            *[(f"SIS import, {sis[kind]['rows']:,}-row {kind}.csv", f"{sis[kind]['rows_per_s']:,.0f} rows/s ({sis[kind]['seconds']:.1f} s)", "", "", "", "≥ 10,000 rows/s")
              for kind in ("users", "courses", "enrollments", "user_observers")],
            *[(f"OneRoster import, {r['oneroster_import'][run]['rows']:,} rows ({label})", f"{r['oneroster_import'][run]['rows_per_s']:,.0f} rows/s ({r['oneroster_import'][run]['seconds']:.1f} s)", "", "", "", "≥ 10,000 rows/s")
              for run, label in (("first", "a first import"), ("again", "the same bulk export again"))],
            ("SIS import, the same users.csv again (unchanged)", f"{sis['users_again']['rows_per_s']:,.0f} rows/s ({sis['users_again']['seconds']:.1f} s)", "", "", "", ""),
            (f"SIS import, {mem['rows']:,}-row users.csv ({mem['file_mb']:.0f} MB), `sis_import` command", f"peak {mem['peak_rss_mb']:.0f} MB RSS, {mem['seconds']:.0f} s", "", "", "", "< 500 MB"),
            ("Code generation, API, 16 clients", f"{gen['per_s']:.0f} req/s, p50 {gen['p50_ms']:.1f} ms, p99 {gen['p99_ms']:.1f} ms",
             f"{gen['floor_per_s']:.0f} req/s, p99 {gen['floor_p99_ms']:.1f} ms", "", f"{gen['floor_ratio']:.0%} of floor", ""),
        ]  # fmt: skip
    cpu = red.get("cpu_ms", {})
    if all(cpu.get(kind, {}).get("app") is not None for kind in ("portal", "floor")):
        rows.append(
            ("Redemption, CPU per request", f"app {cpu['portal']['app']:.1f} ms + PostgreSQL {cpu['portal']['database']:.1f} ms",
             f"app {cpu['floor']['app']:.1f} ms + PostgreSQL {cpu['floor']['database']:.1f} ms", "", "", "")
        )  # fmt: skip
    header = ("measure", "portal", "framework floor", "database alone", "ratio", "target")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
