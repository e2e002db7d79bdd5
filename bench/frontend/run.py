#!/usr/bin/env python3
"""Our frontend analysis beside madge, dpdm, skott and oxlint's import/no-cycle.

    python3 bench/frontend/run.py ../frontends/outline ../frontends/plane
    python3 bench/frontend/run.py --synthetic 5000,20000
    python3 bench/frontend/run.py --tools ours,oxlint --timeout 300 <checkout>
    python3 bench/frontend/run.py --tools ours,oxlint --repeat 5 <checkout>   # medians

For every project it prints, per tool, the wall time and peak memory of one run (or the median
wall and CPU time of `--repeat N` runs, and their largest peak memory; /usr/bin/time -v), how many cycles the tool reports, and how its cycles compare with ours: the files that are
in a cycle, and the strongly connected components its cycles form (cycles sharing a file are
merged). Our components are also checked against an independent Tarjan (this script's) over
the edges of our own graph, and, for synthetic projects, against the generator's truth.

The peers are installed from npm into bench/.scratch/frontend (gitignored) at pinned versions;
ours is the `graph` example of commerce_frontend, built in release mode. Our run is the whole
check (listing, parsing, resolution, graph, every rule, fixes); oxlint runs only no-cycle.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRATCH = os.path.join(REPO, "bench", ".scratch", "frontend")
BIN = os.path.join(SCRATCH, "node_modules", ".bin")
OURS = os.path.join(REPO, "target", "release", "examples", "graph")
PEERS = {"madge": "8.0.0", "dpdm": "4.3.0", "skott": "0.35.12", "oxlint": "1.94.0"}
EXTENSIONS = ["ts", "tsx", "js", "jsx", "mjs", "cjs"]

sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from generate import tarjan  # noqa: E402


def install_peers():
    missing = [name for name in PEERS if not os.path.exists(os.path.join(BIN, name))]
    if not missing:
        return
    os.makedirs(SCRATCH, exist_ok=True)
    manifest = os.path.join(SCRATCH, "package.json")
    if not os.path.exists(manifest):
        with open(manifest, "w") as file:
            json.dump({"private": True}, file)
    packages = [f"{name}@{version}" for name, version in PEERS.items()] + ["typescript@5.9.3"]
    print(f"installing {' '.join(packages)} into {SCRATCH}", file=sys.stderr)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *packages], cwd=SCRATCH, check=True)


def build_ours():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "commerce_frontend", "--example", "graph"], cwd=REPO, check=True)


def timed(command, cwd, timeout, stdout_path):
    """Runs `command` under /usr/bin/time -v; returns (wall seconds, CPU seconds, peak MB), or
    None on timeout. CPU time (user + system) is the steadier figure on a shared machine."""
    with open(stdout_path, "w") as out, tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        try:
            process = subprocess.run(
                ["/usr/bin/time", "-v", "-o", report.name, *command],
                cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None
        text = report.read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, user + system, int(rss.group(1)) / 1024


def components_of(cycles):
    """Merges cycles that share a file: the strongly connected components they span."""
    parent = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for cycle in cycles:
        for node in cycle:
            parent[find(node)] = find(cycle[0])
    groups = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return sorted(sorted(group) for group in groups.values())


def normalize(path):
    return os.path.normpath(path).replace(os.sep, "/")


# Each parser reads one tool's output and returns the cycles it reports (lists of files).

def parse_madge(path):
    with open(path) as file:
        return [[normalize(p) for p in cycle] for cycle in json.load(file)]


def parse_dpdm(path):
    with open(path) as file:
        return [[normalize(p) for p in cycle] for cycle in json.load(file).get("circulars", [])]


def parse_skott(path):
    cycles, current = [], []
    with open(path) as file:
        for line in file:
            line = line.strip()
            if line.startswith("->"):
                current.append(normalize(line[2:].strip()))
            elif re.match(r"^\d+\.$", line):
                if current:
                    cycles.append(current)
                current = []
    if current:
        cycles.append(current)
    return cycles


def parse_oxlint(path):
    with open(path) as file:
        report = json.load(file)
    cycles = []
    for diagnostic in report.get("diagnostics", []):
        files = re.findall(r"\(([^()]+)\)\s*$", diagnostic.get("note", ""), flags=re.M)
        if files:
            cycles.append([normalize(diagnostic["filename"])] + [normalize(f) for f in files])
    return cycles


def tool_commands(project, out_dir):
    tsconfig = ["--ts-config", "tsconfig.json"] if os.path.exists(os.path.join(project, "tsconfig.json")) else []
    oxlintrc = os.path.join(out_dir, "oxlintrc.json")
    with open(oxlintrc, "w") as file:
        json.dump({"plugins": ["import"], "categories": {"correctness": "off"}, "rules": {"import/no-cycle": "error"}}, file)
    return {
        "ours": ([OURS, project], None),
        "madge": ([os.path.join(BIN, "madge"), "--circular", "--json", "--no-spinner", "--extensions", ",".join(EXTENSIONS), *tsconfig, "."], parse_madge),
        "dpdm": ([os.path.join(BIN, "dpdm"), "--no-tree", "--no-warning", "--no-circular", "--exit-code", "circular:0",
                  "-o", os.path.join(out_dir, "dpdm.json"), "./**/*.{" + ",".join(EXTENSIONS) + "}"], parse_dpdm),
        "skott": ([os.path.join(BIN, "skott"), "--displayMode=raw", "--showCircularDependencies", "--exitCodeOnCircularDependencies=0",
                   "--fileExtensions=" + ",".join("." + e for e in EXTENSIONS)], parse_skott),
        "oxlint": ([os.path.join(BIN, "oxlint"), "-c", oxlintrc, "--format", "json", "."], parse_oxlint),
    }


def reference_check(project, summary):
    """Our components against this script's Tarjan over our own graph's edges."""
    graph = json.loads(subprocess.run([OURS, project, "--format", "json"], capture_output=True, text=True, check=True).stdout)
    every, runtime = {}, {}
    for edge in graph["edges"]:
        every.setdefault(edge["from"], set()).add(edge["to"])
        if edge["kind"] != "type-only":
            runtime.setdefault(edge["from"], set()).add(edge["to"])
    same_all = tarjan(graph["nodes"], every) == canonical(summary["all_components"])
    same_runtime = tarjan(graph["nodes"], runtime) == canonical(summary["runtime_components"])
    return same_all and same_runtime


def canonical(components):
    """Components as sorted lists of sorted paths (by string, as Python and the peers sort)."""
    return sorted(sorted(component) for component in components)


def truth_check(project, summary):
    """The synthetic project's planted problems against what we found."""
    with open(os.path.join(project, "truth.json")) as file:
        truth = json.load(file)
    runtime = canonical(summary["runtime_components"])
    type_only = [c for c in canonical(summary["all_components"]) if c not in runtime]
    found_missing = sorted(
        (item["file"], re.search(r"named `([^`]+)`", item["message"]).group(1)) for item in summary["missing_exports"]
    )
    checks = {
        "run-time cycles": runtime == truth["runtime_components"],
        "type-only cycles": sorted(type_only) == truth["type_only_components"],
        "broken imports": sorted((u["file"], u["specifier"]) for u in summary["unresolved"])
        == sorted((u["file"], u["specifier"]) for u in truth["unresolved"]),
        "missing exports": found_missing == sorted((m["file"], m["name"]) for m in truth["missing_exports"]),
        "parse errors": summary["rules"].get("frontend/parse-error", 0) == len(truth["parse_errors"]),
    }
    return checks


def measure(tool, command, parse, project, out_dir, timeout, repeat=1):
    """One tool's row: times (medians of `repeat` runs, peak memory the largest), and the
    components its cycles form (None when it failed)."""
    stdout_path = os.path.join(out_dir, f"{tool}.out")
    runs = []
    for _ in range(repeat):
        measured = timed(command, project, timeout, stdout_path)
        if measured is None:
            return {"tool": tool, "note": f"timed out after {timeout} s", "components": None}
        runs.append(measured)
    wall = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[1] for run in runs)
    megabytes = max(run[2] for run in runs)
    row = {"tool": tool, "wall": wall, "cpu": cpu, "mb": megabytes}
    try:
        if tool == "ours":
            with open(stdout_path) as file:
                row["summary"] = json.load(file)
            row["components"] = canonical(row["summary"]["all_components"])
            row["cycles"] = len(row["components"])
            runtime = canonical(row["summary"]["runtime_components"])
            type_only = [c for c in row["components"] if c not in runtime]
            row["note"] = f"{len(runtime)} run-time + {len(type_only)} type-only components"
        else:
            reported = parse(os.path.join(out_dir, "dpdm.json") if tool == "dpdm" else stdout_path)
            row["components"] = components_of(reported)
            row["cycles"] = len(reported)
            row["note"] = f"{len(row['components'])} components"
    except (OSError, ValueError, KeyError) as error:
        row.update(components=None, note=f"unreadable output: {error}")
    return row


def agreement(components, ours_all, ours_runtime):
    """How a tool's components compare with ours: over all edges, or (for tools that skip type
    imports) over run-time edges, whichever is closer."""
    results = []
    for label, ours in (("all", ours_all), ("run-time", ours_runtime)):
        theirs_files = {f for c in components for f in c}
        ours_files = {f for c in ours for f in c}
        shared = len(theirs_files & ours_files)
        if theirs_files == ours_files:
            files = f"yes ({label})"
        else:
            files = (f"{shared} shared, {len(theirs_files - ours_files)} only theirs, "
                     f"{len(ours_files - theirs_files)} only ours ({label})")
        exact = sum(c in ours for c in components)
        same = f"yes ({label})" if components == ours else f"{exact} of {len(components)} ({label})"
        results.append((components == ours, theirs_files == ours_files, exact, files, same))
    best = max(results, key=lambda result: result[:3])
    return best[3], best[4]


def bench(project, tools, timeout, repeat=1):
    project = os.path.abspath(project)
    print(f"\n## {project}\n")
    out_dir = tempfile.mkdtemp(prefix="frontend-bench-", dir=SCRATCH)
    commands = tool_commands(project, out_dir)
    rows = [measure(tool, *commands[tool], project, out_dir, timeout, repeat) for tool in tools]
    ours = next((row for row in rows if row["tool"] == "ours" and row.get("components") is not None), None)
    print("| tool | wall s | CPU s | peak MB | cycles reported | files in cycles | components | same files as ours | same components as ours |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
    for row in rows:
        if "wall" not in row:
            print(f"| {row['tool']} | - | - | - | - | - | {row['note']} | - | - |")
            continue
        times = f"{row['wall']:.2f} | {row['cpu']:.2f} | {row['mb']:.0f}"
        if row["components"] is None:
            print(f"| {row['tool']} | {times} | - | - | {row['note']} | - | - |")
            continue
        files = sum(len(c) for c in row["components"])
        same_files, same = (
            agreement(row["components"], ours["components"], canonical(ours["summary"]["runtime_components"]))
            if ours else ("-", "-")
        )
        print(f"| {row['tool']} | {times} | {row['cycles']} | {files} | {row['note']} | {same_files} | {same} |")
    if ours:
        summary = ours["summary"]
        print(f"\nours: {summary['files_analyzed']} files, {summary['edges']} edges, findings {summary['rules']}")
        print(f"ours vs a reference Tarjan over our edges: {'identical' if reference_check(project, summary) else 'DIFFERENT'}")
        if os.path.exists(os.path.join(project, "truth.json")):
            for check, ok in truth_check(project, summary).items():
                print(f"synthetic truth, {check}: {'ok' if ok else 'MISMATCH'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="*", help="frontend checkouts to measure")
    parser.add_argument("--synthetic", default="", help="comma-separated module counts to generate and measure, e.g. 5000,20000")
    parser.add_argument("--synthetic-dir", default=os.path.join(tempfile.gettempdir(), "commerce-frontend-bench"))
    parser.add_argument("--tools", default="ours,oxlint,dpdm,madge,skott")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per tool run")
    parser.add_argument("--no-build", action="store_true", help="use the existing release build of ours")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; medians are printed")
    args = parser.parse_args()
    tools = args.tools.split(",")
    if any(tool != "ours" for tool in tools):
        install_peers()
    if not args.no_build:
        build_ours()
    projects = list(args.projects)
    for size in filter(None, args.synthetic.split(",")):
        # Outside the repository: its .gitignore (which hides bench/.scratch) would hide the
        # project from the tools that honour parent ignore files.
        out = os.path.join(args.synthetic_dir, f"synthetic-{size}")
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--modules", size, "--out", out], check=True)
        projects.append(out)
    if not projects:
        parser.error("name a checkout, or --synthetic")
    for project in projects:
        bench(project, tools, args.timeout, args.repeat)


if __name__ == "__main__":
    main()
