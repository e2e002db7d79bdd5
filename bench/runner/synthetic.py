#!/usr/bin/env python3
"""Generates the synthetic 20-crate workspace of fixtures/runner/synthetic/workspace.toml into a
directory (a git repository with one commit), and applies one scenario's scripted change to it.

    synthetic.py generate DIR
    synthetic.py apply DIR SCENARIO_INDEX     # prints the scenario's name
    synthetic.py reset DIR
    synthetic.py count                        # how many scenarios there are

The layout matches what runner/tests/changed_selection.rs generates, with real tests in every
crate so the selection can be run and timed.
"""
import pathlib
import subprocess
import sys
import tomllib

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "fixtures/runner/synthetic/workspace.toml"


def load():
    return tomllib.loads(FIXTURE.read_text())


def git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=root, check=True, stdout=subprocess.DEVNULL,
    )


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


TEST = "#[test]\nfn works() {{ assert_eq!({0}, {0}); }}\n"


def generate(root):
    fixture = load()
    crates = fixture["crates"]
    members = ", ".join(f'"crates/{name}"' for name in crates)
    write(root, "Cargo.toml", f'[workspace]\nresolver = "3"\nmembers = [{members}]\n')
    for name, spec in crates.items():
        deps = "".join(f'{d} = {{ path = "../{d}" }}\n' for d in spec.get("deps", []))
        dev = "".join(f'{d} = {{ path = "../{d}" }}\n' for d in spec.get("dev_deps", []))
        write(root, f"crates/{name}/Cargo.toml",
              f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024"\n\n'
              f"[dependencies]\n{deps}\n[dev-dependencies]\n{dev}")
        root_file = "src/main.rs" if spec.get("bin") else "src/lib.rs"
        body = "fn main() {}\n" if spec.get("bin") else ""
        write(root, f"crates/{name}/{root_file}", body + TEST.format(len(name)))
        if spec.get("build"):
            write(root, f"crates/{name}/build.rs", "fn main() {}\n")
        for test in spec.get("tests", []):
            text = "" if test.endswith(("mod.rs", "helpers.rs")) else TEST.format(1)
            write(root, f"crates/{name}/{test}", text)
        write(root, f"crates/{name}/README.md", f"# {name}\n")
    write(root, "crates/ids/src/util.rs", "pub fn id() {}\n")
    write(root, "crates/pricing/src/old.rs", "pub fn old() {}\n")
    write(root, ".gitignore", "/target\n")
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True,
                   stderr=subprocess.DEVNULL)
    git(root, "init", "--quiet")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "synthetic workspace")


def apply(root, index):
    scenario = load()["scenarios"][index]
    for file in scenario.get("modify", []):
        path = root / file
        comment = "# changed\n" if file.endswith((".toml", ".lock", ".md")) else "// changed\n"
        path.write_text((path.read_text() if path.exists() else "") + comment)
    for file in scenario.get("add", []):
        write(root, file, "// new\n")
    for file in scenario.get("delete", []):
        (root / file).unlink()
    for old, new in scenario.get("rename", []):
        git(root, "mv", old, new)
    print(scenario["name"])


def reset(root):
    git(root, "reset", "--quiet", "--hard")
    git(root, "clean", "--quiet", "-fd", "-e", "target")


def main():
    command = sys.argv[1]
    if command == "count":
        print(len(load()["scenarios"]))
    elif command == "generate":
        generate(pathlib.Path(sys.argv[2]))
    elif command == "apply":
        apply(pathlib.Path(sys.argv[2]), int(sys.argv[3]))
    elif command == "reset":
        reset(pathlib.Path(sys.argv[2]))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
