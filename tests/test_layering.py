"""The dependency rules of DESIGN.md, enforced by reading imports, transitively.

Data flows one way: toolchain -> package -> release, package -> index -> web; cli drives them all.
Each rule names a folder of the server package and what it must never reach, directly or through
any chain of imports (importing `a.b.c` also runs the `__init__` of `a` and `a.b`).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "api" / "openstrikes"
CLIENT = REPO / "client" / "openstrikes_client"

# Reading record files from dataset/: what serving code must never reach.
FILE_READING = (
    "openstrikes.toolchain.files",
    "openstrikes.toolchain.records",
    "openstrikes.toolchain.readahead",
    "openstrikes.toolchain.validate",
)
SHARED = "openstrikes.<top-level module>"  # problems, schema_files, geo, semver, hashing, timefmt, paths

# folder -> (why, the module prefixes it must never reach)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    SHARED: (
        "shared modules depend on no subsystem",
        (
            "openstrikes.toolchain",
            "openstrikes.package",
            "openstrikes.release",
            "openstrikes.index",
            "openstrikes.web",
            "openstrikes.cli",
        ),
    ),
    "openstrikes.toolchain": (
        "the toolchain reads and checks records; it knows nothing downstream",
        (
            "openstrikes.package",
            "openstrikes.release",
            "openstrikes.index",
            "openstrikes.web",
            "openstrikes.cli",
        ),
    ),
    "openstrikes.package": (
        "building and reading packages comes before releases, the index and the API",
        ("openstrikes.release", "openstrikes.index", "openstrikes.web", "openstrikes.cli"),
    ),
    "openstrikes.release": (
        "releases compare and version packages; they never serve them",
        ("openstrikes.index", "openstrikes.web", "openstrikes.cli"),
    ),
    "openstrikes.index": (
        "the index reads only built packages, never record files",
        ("openstrikes.release", "openstrikes.web", "openstrikes.cli", *FILE_READING),
    ),
    "openstrikes.web": (
        "the API serves built packages, never record files; commands drive it, not the reverse",
        ("openstrikes.release", "openstrikes.cli", *FILE_READING),
    ),
}
# Serving code locates nothing in a checkout by itself (it may reach `paths` only through the
# schema loader the contributor side uses, which it never calls).
NO_DIRECT_IMPORT = {"openstrikes.index": ("openstrikes.paths",), "openstrikes.web": ("openstrikes.paths",)}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def direct_imports(path: Path, root: Path, known: set[str]) -> set[str]:
    """Modules of `known` that `path` imports (anywhere in it), `from a import b` counting a.b
    when b is a module."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def import_graph(root: Path, top: str) -> dict[str, set[str]]:
    """Each module of the package `top` under `root` -> the modules it makes Python run when it
    is imported: what it imports, and the packages (`__init__`) above each of those."""
    files = {module_name(p, root): p for p in (root / top).rglob("*.py")}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        deps = direct_imports(path, root, known)
        for dep in list(deps):
            parts = dep.split(".")
            deps |= {".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in known}
        graph[name] = deps - {name}
    return graph


def reach(graph: dict[str, set[str]], start: str) -> dict[str, list[str]]:
    """Every module `start` reaches, with one import chain to it."""
    chains: dict[str, list[str]] = {start: [start]}
    todo = [start]
    while todo:
        cur = todo.pop()
        for nxt in sorted(graph.get(cur, ())):
            if nxt not in chains:
                chains[nxt] = [*chains[cur], nxt]
                todo.append(nxt)
    return chains


def folder_of(module: str) -> str:
    parts = module.split(".")
    return SHARED if len(parts) == 2 else ".".join(parts[:2])


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module in sorted(graph):
        rule = RULES.get(folder_of(module))
        if rule is None:
            continue
        why, forbidden = rule
        for reached, chain in reach(graph, module).items():
            if reached.startswith(forbidden) and not module.startswith(forbidden):
                found.append(f"{' -> '.join(chain)}: {why}")
        for prefix in NO_DIRECT_IMPORT.get(folder_of(module), ()):
            found += [f"{module} imports {d} directly" for d in graph[module] if d.startswith(prefix)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import loops between modules (a package's `__init__` and its own modules excepted)."""
    out = []
    for module in sorted(graph):
        for dep in graph[module]:
            if module.startswith(dep + "."):  # a module imports its own package: not a loop
                continue
            back = reach({k: {d for d in v if not k.startswith(d + ".")} for k, v in graph.items()}, dep)
            if module in back:
                out.append(back[module] + [dep])
    return out


GRAPH = import_graph(REPO / "api", "openstrikes")


def test_every_folder_keeps_to_its_rules() -> None:
    assert set(RULES) - {SHARED} <= {folder_of(m) for m in GRAPH}, "a rule names a folder that is gone"
    assert violations(GRAPH) == []


def test_there_is_no_import_loop() -> None:
    assert cycles(GRAPH) == []


def test_no_function_level_import_of_the_package() -> None:
    """Imports of openstrikes modules sit at the top of a module: none hides inside a function
    (which is how an import loop is usually kept alive)."""
    for path in SERVER.rglob("*.py"):
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (
                    node.level or (node.module or "").startswith("openstrikes")
                ):
                    pytest.fail(
                        f"{path.relative_to(REPO)}:{node.lineno} imports {node.module} in {func.name}()"
                    )
                if isinstance(node, ast.Import) and any(a.name.startswith("openstrikes") for a in node.names):
                    pytest.fail(f"{path.relative_to(REPO)}:{node.lineno} imports in {func.name}()")


@pytest.mark.parametrize(
    ("module", "imports", "reaches"),
    [
        ("openstrikes.web.app", "openstrikes.package.build", "openstrikes.toolchain.validate"),
        ("openstrikes.index.store", "openstrikes.toolchain.records", "openstrikes.toolchain.records"),
        ("openstrikes.toolchain.checks", "openstrikes.index.store", "openstrikes.index.store"),
        ("openstrikes.semver", "openstrikes.release.plan", "openstrikes.release.plan"),
    ],
)
def test_the_rules_catch_a_violation_through_a_chain(module: str, imports: str, reaches: str) -> None:
    """One forbidden import added anywhere is found, with the chain that reaches the forbidden module."""
    graph = {k: set(v) for k, v in GRAPH.items()}
    graph[module].add(imports)
    found = [v for v in violations(graph) if v.startswith(module + " ->")]
    assert any(reaches in v.split(":")[0] for v in found), found


def test_a_loop_is_found() -> None:
    graph = {k: set(v) for k, v in GRAPH.items()}
    graph["openstrikes.package.metadata"].add("openstrikes.release.plan")  # plan -> build -> metadata
    assert cycles(graph)


def _client_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


# Optional: imported only inside `try: ... except ImportError:` (the `fast` extra; pandas for to_pandas).
CLIENT_OPTIONAL = {"orjson", "pandas"}


def _optional_imports(path: Path) -> set[str]:
    """Modules imported in a `try` block that handles ImportError."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in node.handlers
        ):
            for inner in node.body:
                if isinstance(inner, ast.Import):
                    found |= {alias.name for alias in inner.names}
    return found


def _outside_imports(files: Iterable[Path], root: Path = REPO) -> list[str]:
    allowed = set(sys.stdlib_module_names) | {"requests", "openstrikes_client", "urllib3"}
    bad = []
    for path in files:
        optional = _optional_imports(path) & CLIENT_OPTIONAL
        for name in _client_imports(path):
            top = name.split(".")[0]
            if top not in allowed and top not in optional:
                bad.append(f"{path.relative_to(root)} imports {name}")
    return bad


def test_the_client_needs_only_requests_and_the_standard_library() -> None:
    """The client imports nothing of this repository (not `openstrikes`, not the tests)."""
    files = sorted(CLIENT.rglob("*.py"))
    assert files
    assert _outside_imports(files) == []


def test_the_client_rule_catches_a_server_import(tmp_path: Path) -> None:
    bad = tmp_path / "client" / "openstrikes_client" / "x.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from openstrikes.index.filters import FILTERS\n")
    assert _outside_imports([bad], tmp_path) == [
        "client/openstrikes_client/x.py imports openstrikes.index.filters"
    ]
