"""The demo in a real browser: the running page updates itself, then turns into the result."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.demo_process import Demo


def _bar_value(page: Any) -> str | None:
    return page.evaluate(
        "() => { const bar = document.querySelector('progress[data-rq-poll-bar]');"
        " return bar ? bar.getAttribute('value') : null; }"
    )


def test_slow_report_shows_progress_then_its_result(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    response = page.goto(demo.base + "/report/north/")
    assert response.status == 202
    assert page.locator("h1").inner_text() == "Working on it…"
    assert page.locator("nav").get_by_text("Slow report").is_visible()  # inside the demo layout

    seen: list[int] = []
    shot = False
    deadline = time.monotonic() + 60
    while page.locator("#report-table").count() == 0:
        assert time.monotonic() < deadline, f"no result; bar values seen: {seen}"
        try:
            value = _bar_value(page)
        except Exception:  # the page is reloading into the result right now
            value = None
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
            if int(value) > 0 and not shot:
                page.screenshot(path=str(screenshots / "report-running.png"), full_page=True)
                shot = True
        time.sleep(0.05)

    assert len(seen) >= 2 and seen == sorted(seen), f"the bar did not move forward: {seen}"
    assert shot, "never saw the running page with some progress"
    page.wait_for_load_state("load")
    assert page.url == demo.base + "/report/north/"  # the same URL, reloaded by the page itself
    assert page.locator("h1").inner_text() == "Sales report: North region"
    assert page.locator("#report-table tbody tr").count() == 12
    assert page.locator("svg.chart rect").count() >= 24
    page.screenshot(path=str(screenshots / "report-result.png"), full_page=True)

    page.goto(demo.base + "/processes/")
    row = page.locator("tr", has=page.get_by_role("link", name="/report/north/"))
    assert row.locator(".state").inner_text() == "complete"
    assert page.errors == []


def test_failing_task_shows_the_failure_page_and_tries_again(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    response = page.goto(demo.base + "/flaky/")
    assert response.status == 202
    retry = page.get_by_role("button", name="Try again")
    retry.wait_for(timeout=30_000)
    assert page.locator("h1").inner_text() == "Something went wrong"
    assert page.url == demo.base + "/flaky/"
    assert "Traceback" not in page.content()  # error details are for staff only
    page.screenshot(path=str(screenshots / "flaky-failed.png"), full_page=True)

    with page.expect_navigation():
        retry.click()
    assert page.locator("h1").inner_text() == "Working on it…"  # a new job was started
    page.get_by_role("button", name="Try again").wait_for(timeout=30_000)
    # The failure page is answered with HTTP 500 on purpose, and Chromium logs that
    # status of the document itself; anything else would be a real error.
    expected = (
        "console: Failed to load resource: the server responded with a status of 500 "
        "(Internal Server Error)",
        demo.base + "/flaky/",
    )
    assert page.errors == [expected, expected]


def log_in(page: Any, demo: Demo, username: str, next_path: str) -> None:
    page.goto(f"{demo.base}/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-demo")  # shown on the login page
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def lucky_numbers(browser: Any, demo: Demo, username: str) -> tuple[str, str]:
    context = browser.new_context()
    try:
        page = context.new_page()
        log_in(page, demo, username, "/mine/")
        page.locator("#numbers").wait_for(timeout=30_000)
        return page.locator("h1").inner_text(), page.locator("code").first.inner_text()
    finally:
        context.close()


def test_each_user_gets_their_own_result(browser: Any, demo: Demo) -> None:
    alice_heading, alice_token = lucky_numbers(browser, demo, "alice")
    bob_heading, bob_token = lucky_numbers(browser, demo, "bob")
    assert (alice_heading, bob_heading) == ("Lucky numbers for alice", "Lucky numbers for bob")
    assert alice_token != bob_token
    assert lucky_numbers(browser, demo, "alice") == (alice_heading, alice_token)  # cached


def test_staff_reaches_the_dashboard_where_a_job_shows_its_polling_url(
    browser: Any, demo: Demo, page: Any, screenshots: Path
) -> None:
    page.goto(demo.base + "/add/3/5/")
    page.locator("#result").wait_for(timeout=30_000)
    log_in(page, demo, "staff", "/processes/")
    page.get_by_role("link", name="RQ dashboard").wait_for()
    row = page.locator("tr", has=page.get_by_role("link", name="/add/3/5/"))
    with page.expect_navigation():
        row.locator("td.mono a").click()
    assert "rq_poll_url" in page.content()
    assert "/add/3/5/" in page.content()
    page.screenshot(path=str(screenshots / "dashboard-job.png"), full_page=True)


def test_the_language_switch_changes_every_page(demo: Demo, page: Any, screenshots: Path) -> None:
    """The header's switch (Django's set_language) keeps the choice for the next pages: the
    demo's own strings, the package's running page, its stream's texts and the result."""
    page.goto(demo.base + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("heading", name="Langsame Arbeit hinter gewöhnlichen Seiten").wait_for()
    assert page.url == demo.base + "/"  # back where the visitor was
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_label("Sprache").input_value() == "de"

    response = page.goto(demo.base + "/report/south/")
    assert (response.status, response.headers["content-language"]) == (202, "de")
    assert "Dieser Vorgang wurde gestartet" in response.text()
    page.wait_for_function(  # the stream's "running" event, in the visitor's language
        "() => document.querySelector('[data-rq-poll-status]')?.textContent"
        " === 'Dieser Vorgang läuft gerade im Hintergrund.'",
        timeout=30_000,
    )
    page.locator("#report-table").wait_for(timeout=60_000)
    assert page.locator("h1").inner_text() == "Verkaufsbericht: Region Süd"
    assert page.locator("#report-table thead").inner_text().split() == [
        "Monat",
        "Umsatz",
        "Kosten",
        "Gewinn",
    ]
    assert page.locator("#report-table tbody td").nth(2 * 4).inner_text() == "Mär"
    page.screenshot(path=str(screenshots / "report-result-de.png"), full_page=True)

    page.get_by_label("Sprache").select_option("fr")
    page.get_by_role("button", name="Wechseln").click()
    page.get_by_role("heading", name="Rapport des ventes : région Sud").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.errors == []

    # A hostile switch: a language the site does not offer, and a next URL elsewhere.
    token = page.locator("form.language input[name=csrfmiddlewaretoken]").input_value()
    answer = page.request.post(
        demo.base + "/i18n/setlang/",
        form={"language": "xx", "next": "https://evil.example/", "csrfmiddlewaretoken": token},
        max_redirects=0,
    )
    assert answer.status == 302
    assert not answer.headers["location"].startswith("https://evil.example")
    page.goto(demo.base + "/")
    assert page.locator("html").get_attribute("lang") == "fr"  # the choice stands
