"""Every file the project unpickles is loaded as tensors and plain containers only (``weights_only=True``);
the one exception is the DALL-E loader, which checks the file's SHA-256 first."""

import ast
import json

from conftest import REPO

EXEMPT = {("src/vaerep/models/dalle_dvae.py", "load_verified")}  # SHA-256 checked before loading
FOLDERS = ["src", "workflow", "notebooks", "benchmarks", "tests"]


def sources():
    """(relative path, Python source) of every .py file and every notebook code cell in FOLDERS."""
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*")):
            rel = str(path.relative_to(REPO))
            if path.suffix == ".py":
                yield rel, path.read_text()
            elif path.suffix == ".ipynb":
                cells = json.loads(path.read_text())["cells"]
                code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
                yield rel, "\n".join(line for cell in code for line in cell.splitlines()
                                     if not line.lstrip().startswith(("%", "!")))


def unsafe_loads(rel, text):
    """Calls in ``text`` that may run code from a file: torch.load without weights_only=True,
    pickle.load(s), numpy loads with allow_pickle=True. Returns (function name, line) pairs."""
    found = []

    class Visitor(ast.NodeVisitor):
        scope = "<module>"

        def visit_FunctionDef(self, node):
            outer, self.scope = self.scope, node.name
            self.generic_visit(node)
            self.scope = outer

        def visit_Call(self, node):
            func = ast.unparse(node.func)
            kw = {k.arg: k.value for k in node.keywords}
            true = lambda key: isinstance(kw.get(key), ast.Constant) and kw[key].value is True  # noqa: E731
            bad = ((func.endswith("torch.load") and not true("weights_only"))
                   or func in ("pickle.load", "pickle.loads", "cloudpickle.load", "dill.load")
                   or (func.endswith(("np.load", "numpy.load")) and true("allow_pickle")))
            if bad and (rel, self.scope) not in EXEMPT:
                found.append((f"{rel}:{node.lineno} in {self.scope}", func))
            self.generic_visit(node)

    Visitor().visit(ast.parse(text))
    return found


def test_no_file_is_unpickled_unsafely():
    checked = dict(sources())
    assert "src/vaerep/train.py" in checked and len(checked) > 50
    bad = [hit for rel, text in checked.items() for hit in unsafe_loads(rel, text)]
    assert not bad, f"loads that can run code from a file: {bad}"


def test_the_check_finds_an_unsafe_load():
    code = "import torch\n\ndef f(p):\n    return torch.load(p, weights_only=False)\n\ntorch.load('x')\n"
    assert [h[1] for h in unsafe_loads("x.py", code)] == ["torch.load", "torch.load"]
    assert unsafe_loads("x.py", "import torch\ntorch.load('x', map_location='cpu', weights_only=True)\n") == []
    assert unsafe_loads("x.py", "import numpy as np\nnp.load('x', allow_pickle=True)\n") != []
