"""The house's layers: shared pieces at the bottom, methods above them, analyses above those, the command line on
top. A module imports only from its own layer or below (the command line imports methods, never the reverse), and
no two modules import each other, directly or around a loop. Imports inside functions count too."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nextframe"
LAYERS = {  # subpackage (or top-level module) -> layer; a module may import its own layer and those below
    "errors": 0,
    "settings": 0,  # fields that carry their help and bounds
    "files": 0,  # writing without half-written files
    "models": 0,  # the shipped weights, their cards and the model files (reading and writing weights)
    "data": 1,
    "metrics": 1,
    "networks": 1,
    "sampling": 2,
    "evaluation": 3,
    "training": 4,
    "methods": 5,
    "analysis": 6,
    "cli": 7,
    "__init__": 8,  # the package's front door: nextframe.load, sample, ...
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nextframe"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("nextframe")}
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__"] if len(parts) == 1 else LAYERS[parts[1]]


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_subpackage_has_a_layer():
    assert {module_name(p).split(".")[1] for p in PACKAGE.rglob("*.py") if module_name(p) != "nextframe"} <= set(LAYERS)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = [f"{m} imports {i}" for m, found in graph().items() for i in found if layer(i) > layer(m)]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    edges = graph()
    known = set(edges)

    def resolve(name):  # "from nextframe.methods.score import x" depends on that package's __init__
        return name if name in known else None

    edges = {m: {resolve(i) for i in found} - {None, m} for m, found in edges.items()}
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "\n".join(cycles)
