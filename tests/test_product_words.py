"""The product speaks of itself: no issue numbers, work sessions, leads or lent machines in code, config,
notebooks or docs (history lives in git), and no thesis named by its extraction file's 'seed_00N' in what
a reader of a report sees."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLACES = ["src", "workflow", "notebooks", "benchmarks", "docs", ".ci"]
FILES = ["README.md", "Snakefile", "environment.yml", "pyproject.toml"]
PROCESS = re.compile(r"\bissues? ?#?\d+\b|\b(in|this|last|next|previous) session\b|\bsession \d+\b|\bthe lead\b"
                     r"|\blent to\b|\bwas lent\b|\bleft to the\b", re.IGNORECASE)
SUFFIXES = {".py", ".smk", ".yaml", ".yml", ".md", ".toml", ".sh", ".txt", ".cfg", ""}


def _texts():
    paths = [ROOT / f for f in FILES] + [p for d in PLACES for p in (ROOT / d).rglob("*") if p.is_file()]
    for p in paths:
        if p.suffix in SUFFIXES and "__pycache__" not in p.parts:
            yield p, p.read_text(errors="replace")


def test_the_pattern_catches_process_words():
    for text in ("fixed in issue 12", "see Issue #3", "measured in this session", "left to the lead",
                 "no GPU was lent to this run"):
        assert PROCESS.search(text), text
    for text in ("a session of the DevTools protocol", "issues a warning", "the leading dimension"):
        assert not PROCESS.search(text), text


def test_no_process_words_in_the_product():
    hits = [f"{p.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}: {m.group(0)}"
            for p, text in _texts() for m in PROCESS.finditer(text)]
    assert not hits, "history belongs in git, not in the product:\n" + "\n".join(hits)


@pytest.mark.parametrize("place", ["notebooks", "src/vaerep/studies.py"])
def test_theses_are_not_named_seed_00n_where_a_reader_sees_them(place):
    target = ROOT / place
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    # a path to the extraction file (shared/spec/seed_00N.md) is a reference a reader can follow; a bare name is not
    bare = re.compile(r"(?<![/\w])seed_00\d(?!\.md)")
    hits = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in files for m in bare.finditer(p.read_text())]
    assert not hits, hits


@pytest.mark.e2e
def test_no_process_words_in_the_rendered_pages(smoke_run):
    """The pages a reader opens (front page, study reports, scorecard and forensics tables) as rendered."""
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    res = smoke_run.workdir / "results" / "smoke"
    pages = sorted(res.glob("**/*.html")) + sorted(res.glob("*.md"))
    assert {"index.html", "scorecard.md", "forensics.md"} <= {p.name for p in pages} and len(pages) >= 7
    hits = [f"{p.relative_to(res)}: {m.group(0)}" for p in pages for m in PROCESS.finditer(p.read_text())]
    assert not hits, hits
