#!/usr/bin/env python3
"""Our static migration lint beside squawk on the real histories of the corpus, in one run.

    python3 bench/migrations/run.py [--debug] [--no-verify] [--corpus DIR]

Installs squawk-cli (PyPI) into bench/.scratch/venv, builds our `bench` example, and for each
Postgres history prints: lint time (both as the fastest of 5 whole process runs, start-up
included; ours also in-process, fastest of 20), findings per rule side by side, and every
disagreement (same file, rule and line found by one tool only). With the round trip on (the
default), it also prints the time of each migration's up/down/re-up on an ephemeral Postgres.

Rule names match one to one except that squawk 2 splits `require-timeout-settings` into
`require-lock-timeout` and `require-statement-timeout`; both map to ours. squawk runs with
`--assume-in-transaction` on files without sqlx's `-- no-transaction` marker, as sqlx runs them,
and only on up (and plain) files: down files are what reverting runs, judged by the round trip.
"""

import argparse
import collections
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRATCH = REPO / "bench" / ".scratch"
VENV = SCRATCH / "venv"
SQUAWK_VERSION = "2.70.0"
HISTORIES = ["docs.rs", "atuin-server-postgres", "realworld-axum-sqlx"]
SQUAWK_ALIASES = {
    "require-lock-timeout": "require-timeout-settings",
    "require-statement-timeout": "require-timeout-settings",
}


def squawk_binary():
    binary = VENV / "bin" / "squawk"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", f"squawk-cli=={SQUAWK_VERSION}"],
            check=True,
        )
    return binary


def our_binary(debug):
    profile = [] if debug else ["--release"]
    subprocess.run(
        ["cargo", "build", "--quiet", *profile, "-p", "commerce_migrations", "--example", "bench"],
        cwd=REPO,
        check=True,
    )
    return REPO / "target" / ("debug" if debug else "release") / "examples" / "bench"


def up_files(history_dir):
    return sorted(
        path
        for path in history_dir.glob("*.sql")
        if not path.name.endswith(".down.sql")
    )


def run_squawk(squawk, files, corpus):
    """Findings as {(relative path, rule, line)} and the fastest of 5 runs in ms."""
    in_tx = [f for f in files if not f.read_text(encoding="utf-8").startswith("-- no-transaction")]
    no_tx = [f for f in files if f not in in_tx]
    fastest = float("inf")
    findings = []
    for _ in range(5):
        findings = []
        started = time.perf_counter()
        for group, flags in ((in_tx, ["--assume-in-transaction"]), (no_tx, [])):
            if not group:
                continue
            result = subprocess.run(
                [str(squawk), "--reporter", "json", "--pg-version", "15", *flags, *map(str, group)],
                capture_output=True,
                text=True,
            )
            findings.extend(json.loads(result.stdout or "[]"))
        fastest = min(fastest, (time.perf_counter() - started) * 1000)
    keyed = set()
    for finding in findings:
        rule = SQUAWK_ALIASES.get(finding["rule_name"], finding["rule_name"])
        path = str(pathlib.Path(finding["file"]).resolve().relative_to(corpus))
        keyed.add((path, rule, finding["line"] + 1))
    return keyed, fastest


def run_ours(binary, corpus, history, verify):
    args = [str(binary), str(corpus), history] + (["--verify"] if verify else [])
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    keyed = set()
    for finding in report["findings"]:
        rule = finding["rule"].removeprefix("migrations/")
        keyed.add((finding["path"], rule, finding["line"]))
    return keyed, report


def process_ms(binary, corpus, history):
    """The fastest of 5 whole runs of our binary (start-up, one lint, JSON out), to set
    beside squawk's process runs."""
    fastest = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([str(binary), str(corpus), history, "--repeat", "1"],
                       capture_output=True, check=True)
        fastest = min(fastest, (time.perf_counter() - started) * 1000)
    return fastest


def rule_table(ours, theirs):
    by_rule = collections.defaultdict(lambda: [0, 0, 0])
    for _, rule, _ in ours:
        by_rule[rule][0] += 1
    for _, rule, _ in theirs:
        by_rule[rule][1] += 1
    for _, rule, _ in ours & theirs:
        by_rule[rule][2] += 1
    print(f"  {'rule':48} {'ours':>5} {'squawk':>6} {'both':>5}")
    for rule in sorted(by_rule):
        mine, other, both = by_rule[rule]
        print(f"  {rule:48} {mine:5} {other:6} {both:5}")


def print_disagreements(ours, theirs):
    """Per file and rule: findings only one tool has, and the same findings placed on other
    lines (the tools anchor some findings differently)."""
    groups = collections.defaultdict(lambda: ([], []))
    for path, rule, line in ours:
        groups[(path, rule)][0].append(line)
    for path, rule, line in theirs:
        groups[(path, rule)][1].append(line)
    only_ours, only_theirs, moved = [], [], []
    for (path, rule), (mine, other) in sorted(groups.items()):
        mine, other = sorted(mine), sorted(other)
        if mine == other:
            continue
        if len(mine) == len(other):
            moved.append(f"    other line   {path} {rule}: ours {mine}, squawk {other}")
            continue
        common = set(mine) & set(other)
        extra_ours = [line for line in mine if line not in common]
        extra_theirs = [line for line in other if line not in common]
        if extra_ours:
            only_ours.append(f"    only ours    {path} {rule}: lines {extra_ours}")
        if extra_theirs:
            only_theirs.append(f"    only squawk  {path} {rule}: lines {extra_theirs}")
    print(f"  disagreements: {len(only_ours)} only ours, {len(only_theirs)} only squawk, "
          f"{len(moved)} the same finding on another line")
    for line in only_ours + only_theirs + moved:
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="build our side in debug")
    parser.add_argument("--no-verify", action="store_true", help="skip the round trip")
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus" / "migrations"))
    options = parser.parse_args()
    corpus = pathlib.Path(options.corpus).resolve()
    squawk = squawk_binary()
    ours_bin = our_binary(options.debug)
    version = subprocess.run([str(squawk), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"ours: commerce_migrations ({'debug' if options.debug else 'release'}); peer: {version}")

    totals = [0.0, 0.0]
    for history in HISTORIES:
        files = up_files(corpus / history)
        theirs, squawk_ms = run_squawk(squawk, files, corpus)
        ours, report = run_ours(ours_bin, corpus, history, not options.no_verify)
        # Our down-file and layout findings have no squawk counterpart: compare up files only.
        up_paths = {str(f.relative_to(corpus)) for f in files}
        ours_up = {key for key in ours if key[0] in up_paths}
        ours_process_ms = process_ms(ours_bin, corpus, history)
        totals[0] += ours_process_ms
        totals[1] += squawk_ms
        print(f"\n== {history}: {len(files)} up files")
        print(f"  lint time, whole process: ours {ours_process_ms:.2f} ms, squawk {squawk_ms:.2f} ms "
              f"(squawk/ours {squawk_ms / max(ours_process_ms, 1e-9):.1f}x); "
              f"ours in-process {report['lint_ms']:.2f} ms")
        rule_table(ours_up, theirs)
        print_disagreements(ours_up, theirs)
        if "verify" in report:
            verify = report["verify"]
            timings = verify["timings"]
            total = sum(t["total_ms"] for t in timings)
            print(f"  round trip: cluster start {verify['server_start_ms']:.0f} ms, "
                  f"{len(timings)} migrations in {total:.0f} ms "
                  f"({total / max(len(timings), 1):.1f} ms per migration)")
            for timing in timings:
                down = "-" if timing["down_ms"] is None else f"{timing['down_ms']:.1f}"
                reup = "-" if timing["reup_ms"] is None else f"{timing['reup_ms']:.1f}"
                print(f"    {pathlib.Path(timing['migration']).name:70} up {timing['up_ms']:7.1f}"
                      f"  down {down:>7}  re-up {reup:>7}  total {timing['total_ms']:7.1f} ms")
            for finding in verify["findings"]:
                print(f"    finding {finding['rule']} {finding['path']}: {finding['message'][:160]}")
    print(f"\nall histories, whole processes: ours {totals[0]:.2f} ms, squawk {totals[1]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
