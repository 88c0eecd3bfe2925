#!/usr/bin/env python3
"""Print the package tree, package-level import graph, module cycles and layering violations of pichay_tui.

Usage: python scripts/import_graph.py [CHECKOUT] [--package pichay_tui] [--max-lines 250] [--check]

Stdlib only (ast), so it runs on any checkout without installing it. Imports inside functions count too (a lazy import
is still a dependency); imports under `if TYPE_CHECKING:` are counted separately as type-only and ignored for cycles and
layer checks, because they never run. `--check` exits 1 when there is a cycle or a wrong-way edge (for CI).
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import Counter, defaultdict
from pathlib import Path

# Layer contract, lowest first: a module may import its own layer or any layer listed before it.
LAYERS = ["core", "store", "proxy", "ui", "cli"]
# Top-level modules outside a subpackage and which layer they belong to (unknown ones are reported, not guessed).
# settings.py (issue 13) is read by proxy/server and the CLI, so it sits at the bottom: it may import only core.
TOP_LEVEL_LAYER = {"errors": "core", "settings": "core", "crash": "cli", "__init__": "core", "__main__": "cli"}
# `sim` (scripted upstream, fake clients) may be imported only by these layers (and tests, which are not scanned).
SIM_ALLOWED_FROM = {"cli", "sim"}


def module_name(pkg_root: Path, path: Path, package: str) -> str:
    rel = path.relative_to(pkg_root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def is_package(pkg_root: Path, mod: str, package: str) -> bool:
    rel = mod[len(package):].lstrip(".").replace(".", "/")
    return (pkg_root / rel / "__init__.py").exists() if rel else True


def group_of(mod: str, package: str) -> str:
    """The first component under the package: a subpackage name, or a top-level module name."""
    rest = mod[len(package):].lstrip(".")
    return rest.split(".")[0] if rest else "__init__"


def layer_of(group: str, pkg_root: Path) -> str | None:
    if (pkg_root / group).is_dir():
        if group in LAYERS or group == "sim":
            return group
        return None
    if group in TOP_LEVEL_LAYER:
        return TOP_LEVEL_LAYER[group]
    if group.startswith("cli"):  # cli_*.py top-level modules before they move into cli/
        return "cli"
    return None


def in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    cur = parents.get(node)
    while cur is not None:
        if isinstance(cur, ast.If):
            t = cur.test
            if (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
                isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
            ):
                return True
        cur = parents.get(cur)
    return False


def resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def scan(checkout: Path, package: str):
    pkg_root = checkout / package
    modules: dict[str, Path] = {}
    for p in sorted(pkg_root.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        modules[module_name(pkg_root, p, package)] = p
    edges: dict[str, set[str]] = defaultdict(set)  # runtime imports, module -> module
    type_edges: dict[str, set[str]] = defaultdict(set)
    lines: dict[str, int] = {}
    for mod, path in modules.items():
        src = path.read_text(encoding="utf-8")
        lines[mod] = src.count("\n") + (0 if src.endswith("\n") or not src else 1)
        tree = ast.parse(src, str(path))
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = resolve(mod, is_pkg, node)
                # `from pkg import name`: name may be a submodule or an attribute; prefer the submodule if it exists.
                for a in node.names:
                    cand = f"{base}.{a.name}"
                    targets.append(cand if cand in modules else base)
            for t in targets:
                if not (t == package or t.startswith(package + ".")):
                    continue
                while t not in modules and "." in t:  # `import a.b.c` where c is an attribute
                    t = t.rsplit(".", 1)[0]
                if t == mod or t not in modules:
                    continue
                (type_edges if in_type_checking(node, parents) else edges)[mod].add(t)
    return pkg_root, modules, edges, type_edges, lines


def tarjan(nodes, edges):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            strong(v)
    return out


def short(mod: str, package: str) -> str:
    return mod[len(package) + 1:] if mod.startswith(package + ".") else mod


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkout", nargs="?", default=".")
    ap.add_argument("--package", default="pichay_tui")
    ap.add_argument("--max-lines", type=int, default=250)
    ap.add_argument("--check", action="store_true", help="exit 1 on any cycle or wrong-way edge")
    args = ap.parse_args(argv)
    package = args.package
    pkg_root, modules, edges, type_edges, lines = scan(Path(args.checkout), package)

    # (a) tree
    print(f"== (a) package tree ({len(modules)} modules, {sum(lines.values())} lines; * = over {args.max_lines})")
    big, shown = 0, set()
    order = sorted(modules, key=lambda m: (modules[m].relative_to(pkg_root).parent.parts, modules[m].name))
    for mod in order:
        rel = modules[mod].relative_to(pkg_root)
        depth = len(rel.parts) - 1
        for i in range(depth):
            d = rel.parts[: i + 1]
            if d not in shown:
                shown.add(d)
                print(f"{'  ' * i}{d[-1]}/")
        flag = " *" if lines[mod] > args.max_lines else ""
        big += bool(flag)
        print(f"{'  ' * depth}{rel.name:<32}{lines[mod]:>5}{flag}")
    dirs = Counter(str(modules[m].parent.relative_to(pkg_root)) for m in modules)
    print("modules per folder: " + ", ".join(f"{d or '.'}={n}" for d, n in sorted(dirs.items())))
    print(f"modules over {args.max_lines} lines: {big}")

    # (b) package-level graph
    print("\n== (b) package-level import graph (group -> group: module edges; type-only edges in [])")
    pe, pt = Counter(), Counter()
    for src, ts in edges.items():
        for t in ts:
            a, b = group_of(src, package), group_of(t, package)
            if a != b:
                pe[(a, b)] += 1
    for src, ts in type_edges.items():
        for t in ts:
            a, b = group_of(src, package), group_of(t, package)
            if a != b and t not in edges.get(src, ()):
                pt[(a, b)] += 1
    for (a, b), n in sorted(pe.items()):
        print(f"  {a:>14} -> {b:<14} {n}")
    for (a, b), n in sorted(pt.items()):
        print(f"  {a:>14} -> {b:<14} [{n} type-only]")

    # (c) cycles
    print("\n== (c) module-level cycles (strongly connected components, runtime imports incl. lazy ones)")
    sccs = [c for c in tarjan(modules, edges) if len(c) > 1]
    for c in sccs:
        print(f"  cycle of {len(c)}: " + ", ".join(short(m, package) for m in c))
        members = set(c)
        for m in c:
            inside = sorted(short(t, package) for t in edges.get(m, ()) if t in members)
            print(f"      {short(m, package)} -> {', '.join(inside)}")
    if not sccs:
        print("  none")

    # (d) wrong-way edges
    print("\n== (d) wrong-way edges under core <- store <- proxy <- ui <- cli (sim only from cli and tests)")
    rank = {name: i for i, name in enumerate(LAYERS)}
    wrong, unknown = [], set()
    for src, ts in sorted(edges.items()):
        ga = group_of(src, package)
        la = layer_of(ga, pkg_root)
        for t in sorted(ts):
            gb = group_of(t, package)
            lb = layer_of(gb, pkg_root)
            if la is None:
                unknown.add(ga)
            if lb is None:
                unknown.add(gb)
            if la is None or lb is None or la == lb:
                continue
            if lb == "sim":
                if la not in SIM_ALLOWED_FROM:
                    wrong.append((src, t, f"{la} -> sim"))
            elif la == "sim":
                if lb in ("ui", "cli"):  # sim may drive core/store/proxy (record_samples runs a proxy)
                    wrong.append((src, t, f"sim -> {lb}"))
            elif rank[lb] > rank[la]:
                wrong.append((src, t, f"{la} -> {lb}"))
    for src, t, why in wrong:
        print(f"  {short(src, package)} -> {short(t, package)}   ({why})")
    if not wrong:
        print("  none")
    if unknown:
        print("  (groups with no layer assigned: " + ", ".join(sorted(unknown)) + ")")
    print(f"\nsummary: {len(modules)} modules, {big} over {args.max_lines} lines, {len(sccs)} cycles, "
          f"{len(wrong)} wrong-way edges")
    return 1 if args.check and (sccs or wrong) else 0


if __name__ == "__main__":
    sys.exit(main())
