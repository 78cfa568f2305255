"""The package's shape stays readable: no module over about 700 lines, no function over
about 80 lines of code (docstrings and blank lines not counted), no public function without a
verb from the fixed set (STYLE.md), and no public name starting with ``test_``."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

import past_outcomes

PACKAGE = Path(past_outcomes.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 720
MAX_FUNCTION_CODE_LINES = 80
VERBS = ("read_", "load_", "list_", "validate_", "check_", "score", "compute_", "classify_",
         "compare_", "format_", "plot_", "fit_", "plan_", "build_", "write_", "parse_", "pseudonymize",
         "generate", "run_", "example_", "instruments_", "notebooks_", "main", "resolve_")  # fmt: skip


def _code_lines(source: str, node: ast.AST) -> int:
    """Lines of ``node``'s body holding code: not blank, not only a comment, not the docstring
    (the signature is not counted: a long list of keyword arguments is not code to read)."""
    body = list(getattr(node, "body", []))
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str) and len(body) > 1:
            body = body[1:]
    lines = set(range(body[0].lineno, node.end_lineno + 1))  # type: ignore[attr-defined]
    text = source.splitlines()
    comments = {
        tok.start[0]
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT and text[tok.start[0] - 1].strip().startswith("#")
    }
    return sum(1 for n in lines if text[n - 1].strip() and n not in comments)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_under_700_lines(path: Path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.name} has {n} lines; split it by subject"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_stay_under_80_lines_of_code(path: Path):
    source = path.read_text(encoding="utf-8")
    long = [
        f"{node.name} ({n} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n := _code_lines(source, node)) > MAX_FUNCTION_CODE_LINES
    ]
    assert not long, f"{path.name}: {', '.join(long)}; split into named steps"


def test_public_functions_are_named_with_a_verb():
    names = [n for n in past_outcomes.__all__ if callable(getattr(past_outcomes, n))]
    functions = [n for n in names if n[0].islower()]
    assert not [n for n in functions if not n.startswith(VERBS)]
    assert not [n for n in past_outcomes.__all__ if n.startswith("test_")]
