"""Opening the views in a real headless Chromium (Debian's /usr/bin/chromium, driven by the
playwright package, which is a test extra) with the network blocked: used by the tests and by
bench/bench_views.py. Every request that is not file:// is recorded and aborted, so a view that
would fetch anything from outside fails visibly instead of silently working online."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class PageReport:
    """What happened while a view was opened."""

    path: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    seconds_to_ready: float = 0.0

    @property
    def external_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file:", "data:", "blob:", "about:"))]


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A headless Chromium (raises FileNotFoundError if /usr/bin/chromium is not installed)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def offline_page(browser: Any, width: int = 1400, height: int = 900) -> Iterator[tuple[Any, list[PageReport]]]:
    """A page whose every non-file:// request is aborted and recorded; reports of the views
    opened with `open_view` are appended to the list."""
    context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
    page = context.new_page()
    reports: list[PageReport] = []
    state: dict[str, PageReport | None] = {"current": None}

    def route(route: Any) -> None:
        url = route.request.url
        report = state["current"]
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            if report is not None:
                report.blocked.append(url)
            route.abort()

    def on_request(request: Any) -> None:
        report = state["current"]
        if report is not None:
            report.requests.append(request.url)

    def on_console(message: Any) -> None:
        report = state["current"]
        if report is not None and message.type == "error":
            report.console_errors.append(message.text)

    def on_page_error(error: Any) -> None:
        report = state["current"]
        if report is not None:
            report.page_errors.append(str(error))

    page.route("**/*", route)
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page._policykg_state = state
    page._policykg_reports = reports
    try:
        yield page, reports
    finally:
        context.close()


def open_view(page: Any, path: Path, ready: str = "window.policykgView && window.policykgView.ready",
              timeout_ms: int = 60_000, fragment: str = "") -> PageReport:
    """Open a view from the file system (with `fragment` as its URL hash, e.g. "unit=ID") and
    wait until its script says it is drawn."""
    report = PageReport(Path(path))
    page._policykg_state["current"] = report
    page._policykg_reports.append(report)
    started = time.perf_counter()
    if page.url.split("#")[0] == Path(path).resolve().as_uri() and fragment:
        page.goto("about:blank")  # a new hash on the same page would not reload it
    url = Path(path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    page.goto(url, wait_until="load", timeout=timeout_ms)
    page.wait_for_function(f"() => Boolean({ready})", timeout=timeout_ms, polling=20)
    report.seconds_to_ready = time.perf_counter() - started
    return report
