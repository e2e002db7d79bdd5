#!/usr/bin/env python3
"""Save -> publishDiagnostics latency of `cargo-commerce lsp` on a generated frontend.

Generates N TypeScript modules (default 5000: components importing each other, one test file
per 10 modules, a few focused tests), starts the server over stdio, opens one file and applies
200 single-file edits (didChange + didSave), timing each until the diagnostics of that version
arrive. Prints p50/p95/max and the server's peak RSS (VmHWM).

Two kinds of edit (`--edit`):
- `focus` (default): a test file toggles `it` / `it.only` — the imports stay, so the import
  graph's cycles are reused as they are.
- `imports`: a module inside the big import cycle the generator makes toggles one more import
  — the edges change, so that cycle is described again (its shortest cycles are quadratic in its
  size: the worst case for an edit).

On a real checkout instead (`--project DIR --file PATH`), the edit toggles a trailing comment
line in PATH (`--edit comment`): same findings, every edit re-analysed.

    cargo build --release -p cargo-commerce
    python3 bench/lsp/latency.py --server target/release/cargo-commerce [--modules 5000] [--edits 200] [--edit imports]
    python3 bench/lsp/latency.py --project ../frontends/saleor-dashboard --file src/index.tsx
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(root: Path, modules: int) -> list[Path]:
    web = root / "web" / "src"
    web.mkdir(parents=True)
    (root / "commerce.toml").write_text('[frontend]\nroots = ["web"]\n')
    tests = []
    for index in range(modules):
        imports = "".join(
            f'import {{ value{dep} }} from "./module{dep}";\n' for dep in (index * 7 % modules, index * 13 % modules) if dep != index
        )
        (web / f"module{index}.ts").write_text(f"{imports}export const value{index} = {index};\n")
        if index % 10 == 0:
            test = web / f"module{index}.test.ts"
            focus = ".only" if index % 1000 == 0 else ""
            test.write_text(
                f'import {{ it, expect }} from "vitest";\nimport {{ value{index} }} from "./module{index}";\n\n'
                f'it{focus}("value {index}", () => {{\n  expect(value{index}).toBe({index});\n}});\n'
            )
            tests.append(test)
    return tests


class Server:
    def __init__(self, command: list[str], root: Path):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root)
        self.next_id = 0

    def send(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def receive(self) -> dict:
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method: str, params) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for_diagnostics(self, uri: str, version: int) -> dict:
        while True:
            message = self.receive()
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == uri and params.get("version") == version:
                    return params

    def peak_rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="target/release/cargo-commerce")
    parser.add_argument("--modules", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--edit", choices=["focus", "imports", "comment"], default=None)
    parser.add_argument("--project", help="an existing checkout to open instead of a generated one")
    parser.add_argument("--file", help="with --project: the file to edit, relative to it")
    args = parser.parse_args()
    server_path = os.path.abspath(args.server)
    if args.edit is None:
        args.edit = "comment" if args.project else "focus"
    if args.project and (not args.file or args.edit != "comment"):
        parser.error("--project needs --file, and edits a trailing comment")
    with tempfile.TemporaryDirectory(prefix="commerce-lsp-bench-") as scratch:
        root = Path(args.project).resolve() if args.project else Path(scratch)
        tests = [] if args.project else generate(root, args.modules)
        server = Server([server_path, "lsp"], root)
        started = time.perf_counter()
        server.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}})
        server.notify("initialized", {})
        if args.project:
            target = root / args.file
        elif args.edit == "focus":
            target = tests[len(tests) // 2]
        else:
            target = root / "web" / "src" / f"module{args.modules // 2 + 1}.ts"
        uri = target.as_uri()
        text = target.read_text()
        extra = args.modules // 2 + 3
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}})
        initial = server.wait_for_diagnostics(uri, 1)
        ready = time.perf_counter() - started
        latencies = []
        for version in range(2, args.edits + 2):
            toggled = version % 2 == 0
            if args.edit == "focus":
                new_text = text.replace("it(", "it.only(") if toggled else text
                expected = 1 if toggled else 0
            elif args.edit == "comment":
                new_text = f"{text}// edit {version}\n" if toggled else text
                expected = len(initial["diagnostics"])
            else:
                new_text = f'import {{ value{extra} }} from "./module{extra}";\n{text}' if toggled else text
                expected = len(initial["diagnostics"])
            begin = time.perf_counter()
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new_text}]})
            server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            published = server.wait_for_diagnostics(uri, version)
            latencies.append((time.perf_counter() - begin) * 1000)
            if len(published["diagnostics"]) != expected:
                print(f"wrong diagnostics at version {version}: {published['diagnostics']}", file=sys.stderr)
                return 1
        rss = server.peak_rss_kib()
        server.request("shutdown", None)
        server.notify("exit", None)
        server.process.wait(timeout=10)
    print(f"project: {args.project or f'{args.modules} generated modules'}, edits: {args.edits} ({args.edit})")
    print(f"open -> first diagnostics: {ready * 1000:.1f} ms")
    print(f"save -> publishDiagnostics: p50 {statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, max {max(latencies):.2f} ms")
    print(f"server peak RSS: {rss / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
