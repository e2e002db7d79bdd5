#!/usr/bin/env python3
"""Writes a synthetic TypeScript/React project whose import problems are known.

    python3 bench/frontend/generate.py --modules 5000 --out bench/.scratch/synthetic-5k

The project has a DAG of modules (every import points to a module written earlier) using every
import form the analyzer reads (named, default, namespace, `import type`, `{ type X }`, imports
used only as types, dynamic `import()`, `require()`, re-exports, `export *` barrels, `.js`
specifiers for `.ts` files, tsconfig `paths`), plus planted problems:

- run-time cycles (value imports around a ring of 2-6 modules),
- type-only cycles (the same, with one hop an `import type`),
- broken imports (relative paths to files that do not exist),
- missing exports (named imports of names the target does not export),
- files that do not parse.

It writes `truth.json` beside the project: the strongly connected components of the run-time
graph and of the whole graph, computed here with an independent Tarjan over the edges this
script wrote, and every planted broken import, missing export and syntax error.
"""

import argparse
import json
import os
import random
import shutil
import sys

MODULES_PER_DIR = 50


def tarjan(nodes, successors):
    """Strongly connected components (iterative Tarjan), as sorted lists, only those with a cycle."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        calls = [(root, iter(sorted(successors.get(root, ()))))]
        while calls:
            node, children = calls[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    calls.append((child, iter(sorted(successors.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            calls.pop()
            if calls:
                parent = calls[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in successors.get(node, ()):
                    components.append(sorted(component))
    return sorted(components)


class Project:
    def __init__(self, modules, seed):
        self.rng = random.Random(seed)
        self.count = modules
        self.files = {}
        self.runtime_edges = {}
        self.all_edges = {}
        self.truth = {"unresolved": [], "missing_exports": [], "parse_errors": []}

    def path(self, index):
        return f"src/d{index // MODULES_PER_DIR:04d}/m{index:05d}.ts"

    def specifier(self, source, target):
        """A relative specifier from module `source` to module `target`, in one of the styles
        projects use: no extension, `.js` for `.ts`, or the tsconfig alias."""
        target_path = self.path(target)[: -len(".ts")]
        style = self.rng.random()
        if style < 0.15:
            return "@/" + target_path[len("src/") :]
        relative = os.path.relpath(target_path, os.path.dirname(self.path(source)))
        if not relative.startswith("."):
            relative = "./" + relative
        return relative + ".js" if style < 0.3 else relative

    def edge(self, source, target, runtime):
        self.all_edges.setdefault(self.path(source), set()).add(self.path(target))
        if runtime:
            self.runtime_edges.setdefault(self.path(source), set()).add(self.path(target))

    def module(self, index, imports_from, extra_imports=(), extra_body=()):
        """One module importing from `imports_from` (indices) in random forms."""
        lines = list(extra_imports)
        body = list(extra_body)
        for target in imports_from:
            spec = self.specifier(index, target)
            form = self.rng.random()
            if form < 0.35:
                lines.append(f'import {{ v{target}, f{target} }} from "{spec}";')
                body.append(f"export const use{target} = f{target}(v{target});")
                self.edge(index, target, True)
            elif form < 0.45:
                lines.append(f'import type {{ T{target} }} from "{spec}";')
                body.append(f"export type U{target} = T{target};")
                self.edge(index, target, False)
            elif form < 0.55:
                lines.append(f'import {{ T{target} }} from "{spec}";')
                body.append(f"export let typed{target}: T{target} | undefined;")
                self.edge(index, target, False)
            elif form < 0.62:
                lines.append(f'import {{ type T{target}, v{target} as w{target} }} from "{spec}";')
                body.append(f"export const both{target}: T{target} = {{ id: w{target} }};")
                self.edge(index, target, True)
            elif form < 0.7:
                lines.append(f'import * as ns{target} from "{spec}";')
                body.append(f"export const viaNamespace{target} = ns{target}.f{target}(1);")
                self.edge(index, target, True)
            elif form < 0.77:
                lines.append(f'import Default{target} from "{spec}";')
                body.append(f"export const viaDefault{target} = Default{target};")
                self.edge(index, target, True)
            elif form < 0.84:
                body.append(f'export const lazy{target} = () => import("{spec}");')
                self.edge(index, target, True)
            elif form < 0.9:
                lines.append(f'export {{ v{target} as r{index}_{target} }} from "{spec}";')
                self.edge(index, target, True)
            elif form < 0.95:
                lines.append(f'const required{target} = require("{spec}");')
                body.append(f"export const viaRequire{target} = required{target};")
                self.edge(index, target, True)
            else:
                lines.append(f'import "{spec}";')
                self.edge(index, target, True)
        body.append(f"export const v{index} = {index};")
        body.append(f"export function f{index}(x: number): number {{ return x + v{index}; }}")
        body.append(f"export interface T{index} {{ id: number }}")
        body.append(f"export default function M{index}() {{ return v{index}; }}")
        self.files[self.path(index)] = "\n".join(lines + [""] + body) + "\n"

    def generate(self, cycles, type_cycles, broken, missing, unparsable):
        ring_sizes = [self.rng.randint(2, 6) for _ in range(cycles + type_cycles)]
        planted = sum(ring_sizes)
        special = set(self.rng.sample(range(self.count // 2, self.count), planted + broken + missing + unparsable))
        special_list = sorted(special)
        rings, cursor = [], 0
        for size in ring_sizes:
            rings.append(special_list[cursor : cursor + size])
            cursor += size
        broken_modules = special_list[cursor : cursor + broken]
        cursor += broken
        missing_modules = special_list[cursor : cursor + missing]
        cursor += missing
        unparsable_modules = special_list[cursor:]
        ring_members = {member for ring in rings for member in ring}

        def dag_targets(index):
            # Earlier modules only (so the DAG has no cycle), never a planted ring member.
            candidates = [
                self.rng.randrange(0, index) for _ in range(self.rng.randint(0, 5))
            ] if index > 0 else []
            return sorted({c for c in candidates if c not in ring_members and c not in unparsable_modules})

        for index in range(self.count):
            if index in ring_members or index in unparsable_modules:
                continue
            extra_imports, extra_body = [], []
            if index in broken_modules:
                spec = f"./missing-{index}"
                extra_imports.append(f'import {{ gone }} from "{spec}";')
                extra_body.append("export const broken = gone;")
                self.truth["unresolved"].append({"file": self.path(index), "specifier": spec})
            if index in missing_modules:
                target = self.rng.choice([t for t in range(index) if t not in ring_members and t not in unparsable_modules])
                spec = self.specifier(index, target)
                extra_imports.append(f'import {{ nope{index} }} from "{spec}";')
                extra_body.append(f"export const missing = nope{index};")
                self.edge(index, target, True)
                self.truth["missing_exports"].append({"file": self.path(index), "name": f"nope{index}"})
            self.module(index, dag_targets(index), extra_imports, extra_body)

        for number, ring in enumerate(rings):
            type_only = number >= cycles
            for position, index in enumerate(ring):
                successor = ring[(position + 1) % len(ring)]
                spec = self.specifier(index, successor)
                if type_only and position == 0:
                    extra = [f'import type {{ T{successor} }} from "{spec}";']
                    body = [f"export type Ring{index} = T{successor};"]
                    self.edge(index, successor, False)
                else:
                    extra = [f'import {{ f{successor} }} from "{spec}";']
                    body = [f"export const ring{index} = () => f{successor}(1);"]
                    self.edge(index, successor, True)
                self.module(index, dag_targets(index), extra, body)

        for index in unparsable_modules:
            self.files[self.path(index)] = f"export const v{index} = (1 + ;\n"
            self.truth["parse_errors"].append(self.path(index))

        nodes = sorted(self.files)
        self.truth["runtime_components"] = tarjan(nodes, self.runtime_edges)
        all_components = tarjan(nodes, self.all_edges)
        runtime_set = {tuple(c) for c in self.truth["runtime_components"]}
        self.truth["type_only_components"] = [c for c in all_components if tuple(c) not in runtime_set]
        self.truth["all_components"] = all_components
        self.truth["modules"] = len(self.files)

    def write(self, out):
        if os.path.exists(out):
            shutil.rmtree(out)
        for path, text in self.files.items():
            full = os.path.join(out, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as file:
                file.write(text)
        with open(os.path.join(out, "package.json"), "w") as file:
            json.dump({"name": "synthetic-shop", "private": True, "dependencies": {"react": "^18.3.0"}}, file, indent=2)
        with open(os.path.join(out, "tsconfig.json"), "w") as file:
            json.dump(
                {"compilerOptions": {"strict": True, "baseUrl": ".", "paths": {"@/*": ["src/*"]}}, "include": ["src"]},
                file,
                indent=2,
            )
        with open(os.path.join(out, "truth.json"), "w") as file:
            json.dump(self.truth, file, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=5000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--cycles", type=int, help="planted run-time cycles (default: modules / 500)")
    parser.add_argument("--type-cycles", type=int, help="planted type-only cycles (default: modules / 1000)")
    parser.add_argument("--broken", type=int, help="broken imports (default: modules / 500)")
    parser.add_argument("--missing", type=int, help="missing exports (default: modules / 500)")
    parser.add_argument("--unparsable", type=int, default=2)
    args = parser.parse_args()
    scale = max(args.modules, 1000)
    project = Project(args.modules, args.seed)
    project.generate(
        cycles=args.cycles if args.cycles is not None else scale // 500,
        type_cycles=args.type_cycles if args.type_cycles is not None else scale // 1000,
        broken=args.broken if args.broken is not None else scale // 500,
        missing=args.missing if args.missing is not None else scale // 500,
        unparsable=args.unparsable,
    )
    project.write(args.out)
    truth = project.truth
    print(
        f"{args.out}: {truth['modules']} modules, {len(truth['runtime_components'])} run-time cycles, "
        f"{len(truth['type_only_components'])} type-only cycles, {len(truth['unresolved'])} broken imports, "
        f"{len(truth['missing_exports'])} missing exports, {len(truth['parse_errors'])} unparsable files",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
