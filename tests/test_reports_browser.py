"""The rendered reports in a real browser (headless Chromium over the DevTools pipe): the checker catches each
kind of fault on a planted page, and the smoke run's front page and study reports have none."""

import base64
import io
from pathlib import Path

import pytest

from vaerep.browser import Chromium, find_chromium, link_problems, page_problems
from vaerep.errors import PipelineError
from vaerep.studies import title

STUDIES = ["smvae", "dsprites_beta", "vqvae", "latent2d"]


@pytest.fixture(scope="module")
def browser():
    if not find_chromium():
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run tries it): "
                    "the browser checks of the rendered reports cannot run")
    with Chromium() as chromium:
        yield chromium


def png_base64():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    plt.figure(figsize=(1, 1))
    plt.savefig(buf, format="png")
    plt.close()
    return base64.b64encode(buf.getvalue()).decode()


def check(browser, page: Path) -> tuple[dict, list[str]]:
    error = browser.open(page.resolve().as_uri())
    assert error is None, f"{page}: {error}"
    facts = browser.facts()
    return facts, page_problems(facts) + link_problems(browser, page.resolve().as_uri(), facts)


def test_checker_finds_each_planted_fault(browser, tmp_path):
    (tmp_path / "other.html").write_text("<html><body>other page</body></html>")
    good = f'<h1 id="top">Report</h1><img alt="good" src="data:image/png;base64,{png_base64()}">'
    links = '<a href="#top">up</a> <a href="other.html">other</a>'
    (tmp_path / "clean.html").write_text(f"<html><body>{good}{links}</body></html>")
    facts, problems = check(browser, tmp_path / "clean.html")
    assert problems == [] and facts["images"][0]["naturalWidth"] == 100 and len(facts["links"]) == 2
    faults = ('<img alt="truncated" src="data:image/png;base64,iVBORw0KGgo="><img alt="absent" src="absent.png">'
              '<a href="#nowhere">dangling</a> <a href="gone.html">gone</a>'
              "<pre>KeyError                 Traceback (most recent call last)\nCell In[3], line 1</pre>")
    (tmp_path / "faulty.html").write_text(f"<html><body>{good}{links}{faults}</body></html>")
    _, problems = check(browser, tmp_path / "faulty.html")
    assert problems == ["image 'truncated' does not decode (naturalWidth 0)",
                        "image 'absent' does not decode (naturalWidth 0)",
                        "the page shows a Python traceback",
                        "link 'dangling' -> #nowhere: no such element on the page",
                        f"link 'gone' -> {(tmp_path / 'gone.html').as_uri()}: net::ERR_FILE_NOT_FOUND"]


def test_screenshot_is_a_png_of_the_page(browser, tmp_path):
    (tmp_path / "page.html").write_text("<html><body style='background:#fff'><h1>Shot</h1></body></html>")
    browser.open((tmp_path / "page.html").resolve().as_uri())
    shot = browser.screenshot(tmp_path / "shot.png").read_bytes()
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 1000


@pytest.mark.e2e
def test_smoke_reports_read_in_a_browser(browser, smoke_run):
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    res, figs = smoke_run.workdir / "results/smoke", smoke_run.workdir / "figures/smoke"
    index, problems = check(browser, res / "index.html")
    assert problems == [], problems
    assert index["title"].startswith("Replication of four bachelor theses")
    # the page opens with the per-study headline and the scorecard figure, before the details of the run
    text, details = index["text"], index["text"].index("What was run")
    assert text.index("At a glance") < details
    for study in STUDIES:
        assert -1 < text.find(f"{title(study)} — at ") < details, study
    assert index["images"] and index["images"][0]["naturalWidth"] >= 800, index["images"][:1]
    reports = {link["href"] for link in index["links"] if link["href"].endswith("/report.html")}
    assert reports == {(res / s / "report.html").as_uri() for s in STUDIES}
    for study in STUDIES:
        page, problems = check(browser, res / study / "report.html")
        assert problems == [], f"{study}: {problems}"
        assert page["code_inputs"] == 0, f"{study}: the HTML shows code cells"
        assert page["title"].startswith("Study "), page["title"]
        # every figure of the study, each decoded above a non-empty caption
        pngs = sorted(p.name for p in [*(figs / study).glob("*.png"), *(figs / "forensics").glob(f"{study}_*.png")])
        shown = [f for f in page["figures"] if f["images"]]
        assert len(shown) == len(pngs) > 0 and all(f["images"] == 1 and f["caption"] for f in shown), study
        assert sorted(i["alt"] for i in page["images"] if i["alt"].endswith(".png")) == pngs
        assert "Traceback" not in page["text"]
    smvae = check(browser, res / "smvae" / "report.html")[0]
    table_4_1 = [t for t in smvae["tables"] if t.startswith("Model\tseeds\t−ELBO\tthesis") and "Standard VAE" in t]
    assert len(table_4_1) == 1, "Table 4.1 must appear once"


def test_a_browser_that_does_not_start_is_a_clear_error():
    with pytest.raises(PipelineError, match=r"Chromium \(/bin/true\) (closed the DevTools pipe|exited before).*exit code 0"):
        with Chromium(executable="/bin/true"):
            pass
