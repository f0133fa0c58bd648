"""The dependency rules of DESIGN.md, enforced by reading imports."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "api" / "openstrikes"
CLIENT = REPO / "client" / "openstrikes_client"


def _imports(path: Path) -> set[str]:
    root = REPO / ("client" if CLIENT in path.parents else "api")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside a package
                base = ".".join(path.relative_to(root).with_suffix("").parts[: -node.level])
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


# Optional accelerators: imported only inside `try: ... except ImportError:` (the `fast` extra).
CLIENT_OPTIONAL = {"orjson"}


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


def test_the_client_needs_only_requests_and_the_standard_library() -> None:
    files = sorted(CLIENT.rglob("*.py"))
    if not files:
        return  # the client distribution is not there yet
    allowed = set(sys.stdlib_module_names) | {"requests", "openstrikes_client", "urllib3"}
    for path in files:
        optional = _optional_imports(path) & CLIENT_OPTIONAL
        for name in _imports(path):
            top = name.split(".")[0]
            assert top in allowed or top in optional, f"{path.relative_to(REPO)} imports {name}"
            assert top != "openstrikes", f"{path.relative_to(REPO)} imports the server package"


FORBIDDEN_FOR_SERVING = {
    "openstrikes.toolchain.records",
    "openstrikes.cli.toolchain",
    "openstrikes.package.stats",
    "openstrikes.paths",
}


def test_the_api_and_store_read_only_built_packages() -> None:
    """web/ and store.py never read dataset/ files; only `serve` may build a package first."""
    targets = [p for p in (SERVER / "web").rglob("*.py") if p.name != "serve.py"]
    targets += [p for p in (SERVER / "store.py", SERVER / "query.py") if p.exists()]
    for path in targets:
        bad = _imports(path) & FORBIDDEN_FOR_SERVING
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_data_flows_one_way() -> None:
    """Validation and packaging never import the API, the store or the client."""
    upstream = [
        "problems",
        "jsontext",
        "records",
        "schemas",
        "schemacheck",
        "checks",
        "crosscheck",
        "validate",
        "geo",
    ]
    upstream += ["package", "flatten", "tableschema", "diff", "release"]
    for name in upstream:
        path = SERVER / f"{name}.py"
        if not path.exists():
            continue
        for imported in _imports(path):
            assert not imported.startswith(
                ("openstrikes.web", "openstrikes.index.store", "openstrikes.index.query")
            ), f"{name}.py imports {imported}"
            assert not imported.startswith("openstrikes_client"), f"{name}.py imports {imported}"
