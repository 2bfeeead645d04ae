"""Check rendered report pages in headless Chromium, driven through the DevTools protocol over a pipe
(`--remote-debugging-pipe`: JSON messages ending in NUL on file descriptors 3 and 4; no extra package).

`python -m vaerep.browser PAGE.html [--follow-links] [--screenshot OUT.png]` prints each problem (an image that
does not decode, a link to a file or fragment that does not resolve, a Python traceback on the page) and exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import PipelineError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Runs in the page after its load event: waits for every image to decode, then describes the page.
PAGE_FACTS_JS = """(async () => {
  const images = [...document.images];
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  return {
    title: document.title,
    text: document.body ? document.body.innerText : "",
    images: images.map(i => ({alt: i.alt, src: i.getAttribute("src").slice(0, 60), naturalWidth: i.naturalWidth})),
    links: [...document.querySelectorAll("a[href]")].map(a => ({href: a.href, text: a.textContent.trim()})),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id),
    figures: [...document.querySelectorAll("figure")].map(f => ({
      images: f.querySelectorAll("img").length,
      caption: (f.querySelector("figcaption") || {innerText: ""}).innerText.trim()})),
    tables: [...document.querySelectorAll("table")].map(t => t.innerText),
    code_inputs: document.querySelectorAll(".jp-InputArea-editor, .jp-InputPrompt, .input_area").length,
  };
})()"""


def _above_nine(fd: int) -> int:
    """A close-on-exec duplicate of ``fd`` numbered 10 or more (``fd`` is closed)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def find_chromium() -> str | None:
    """Path of a Chromium executable: env CHROMIUM, else the first of CANDIDATES on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


class Chromium:
    """A headless Chromium with one page (tab), controlled over the DevTools pipe. Use as a context manager."""

    def __init__(self, executable: str | None = None, timeout: float = 60.0, width: int = 1200, height: int = 900):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise PipelineError(f"no Chromium found (looked for {', '.join(CANDIDATES)} on PATH and env CHROMIUM)")
        self.timeout, self.size = timeout, (width, height)
        self._next_id, self._buffer, self._events = 0, b"", []

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.TemporaryDirectory(prefix="vaerep-chromium-")
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()
        # the child's ends moved above fd 9, so that duplicating them onto 3 and 4 cannot overwrite one another
        to_child, from_child = (_above_nine(fd) for fd in (to_child, from_child))

        def pipes_on_3_and_4():  # in the child, before exec: the browser reads fd 3 and writes fd 4
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        args = [self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}", f"--window-size={self.size[0]},{self.size[1]}", "about:blank"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=pipes_on_3_and_4)
        os.close(to_child)
        os.close(from_child)
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.send("Page.enable", session=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (PipelineError, OSError):  # already gone
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise PipelineError(f"Chromium did not answer within {self.timeout:g} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise PipelineError(f"Chromium ({self.executable}) closed the DevTools pipe (exit code "
                                    f"{self._proc.wait(timeout=5)})")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: bool = False, timeout: float | None = None) -> dict:
        """Send one DevTools command (to the page when ``session``) and return its result; events that arrive
        meanwhile are kept for ``wait_event``."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise PipelineError(f"Chromium ({self.executable}) exited before {method} (exit code "
                                f"{self._proc.wait(timeout=5)})") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") != self._next_id:
                self._events.append(reply)
                continue
            if "error" in reply:
                raise PipelineError(f"Chromium refused {method}: {reply['error'].get('message')}")
            return reply["result"]

    def wait_event(self, method: str) -> dict:
        """Wait for (and consume) the next event ``method`` of the page."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == self._session:
                    return self._events.pop(i)
            self._events.append(self._read_message(deadline))

    def open(self, url: str) -> str | None:
        """Load ``url`` in the page and wait for its load event; the browser's error text when it cannot load."""
        self._events.clear()
        result = self.send("Page.navigate", {"url": url}, session=True)
        if result.get("errorText"):
            return result["errorText"]
        self.wait_event("Page.loadEventFired")
        return None

    def facts(self) -> dict:
        """What the loaded page shows: title, text, images with their natural width, links, ids, figures, tables."""
        result = self.send("Runtime.evaluate", {"expression": PAGE_FACTS_JS, "awaitPromise": True,
                                                "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise PipelineError(f"the page check script failed: {result['exceptionDetails'].get('text')}")
        return result["result"]["value"]

    def screenshot(self, path, full_page: bool = True) -> Path:
        """Save a PNG of the loaded page (the whole page when ``full_page``)."""
        params = {"format": "png"}
        if full_page:
            width, height = self.size[0], self.send("Runtime.evaluate", {
                "expression": "document.documentElement.scrollHeight", "returnByValue": True},
                session=True)["result"]["value"]
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width,
                                                            "height": min(height, 16000), "scale": 1})
        data = self.send("Page.captureScreenshot", params, session=True)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)


def page_problems(facts: dict) -> list[str]:
    """Problems a reader would see: an image that does not decode, a Python traceback in the text."""
    problems = [f"image '{i['alt'] or i['src']}' does not decode (naturalWidth 0)"
                for i in facts["images"] if not i["naturalWidth"]]
    if "Traceback (most recent call last)" in facts["text"]:
        problems.append("the page shows a Python traceback")
    return problems


def local_links(facts: dict) -> list[dict]:
    """The page's links to files and fragments (web links are not followed: the checks run offline)."""
    return [link for link in facts["links"] if urlsplit(link["href"]).scheme == "file"]


def link_problems(browser: Chromium, page_url: str, facts: dict) -> list[str]:
    """Each local link of the page that does not resolve: a fragment without its element on the page, or a
    file the browser cannot load (the page itself is reloaded afterwards)."""
    problems, here, left = [], urlsplit(page_url), False
    for link in local_links(facts):
        url = urlsplit(link["href"])
        if url.path == here.path:
            # as a browser scrolls: to the element whose id is the fragment as written, or else percent-decoded
            if url.fragment and not {url.fragment, unquote(url.fragment)} & set(facts["ids"]):
                problems.append(f"link '{link['text']}' -> #{url.fragment}: no such element on the page")
            continue
        left = True
        error = browser.open(link["href"])
        if error:
            problems.append(f"link '{link['text']}' -> {link['href']}: {error}")
    if left:
        browser.open(page_url)
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages", nargs="+", type=Path, help="HTML files")
    ap.add_argument("--follow-links", action="store_true", help="also check that every link resolves")
    ap.add_argument("--screenshot", type=Path, help="PNG of the first page")
    args = ap.parse_args(argv)
    failed = False
    with Chromium() as browser:
        for n, page in enumerate(args.pages):
            url = page.resolve().as_uri()
            error = browser.open(url)
            problems = [f"cannot load: {error}"] if error else []
            if not error:
                facts = browser.facts()
                problems += page_problems(facts)
                if args.follow_links:
                    problems += link_problems(browser, url, facts)
                if n == 0 and args.screenshot:
                    browser.screenshot(args.screenshot)
                print(f"{page}: '{facts['title']}', {len(facts['images'])} images, {len(local_links(facts))} local links "
                      f"({len(facts['links']) - len(local_links(facts))} web links not followed), "
                      f"{len(facts['tables'])} tables")
            for problem in problems:
                print(f"  PROBLEM: {problem}")
            failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
