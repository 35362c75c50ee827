"""The demo site, run for real, while its Redis is down: every page answers, none a 500;
once Redis is back the worker (which exits when Redis goes away) runs again.

Pages outside a polling view (the process list, django-rq's dashboard) get the same 503
page as the polling ones through ``RedisUnavailableMiddleware``.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.demo_process import Demo
from tests.faults.helpers import wait_until

ANONYMOUS = {
    "/": {200},
    "/login/": {200},
    "/add/3/5/": {503},
    "/report/north/": {503},
    "/flaky/": {503},
    "/mine/": {302},  # to the log-in page
    "/processes/": {503},
    "/rq-poll/status/0123456789abcdef/": {503},
}
STAFF = {
    "/mine/": {503},
    "/processes/": {503},
    "/django-rq/": {503},
    "/admin/": {200},  # the admin's index reads only the database
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _opener(jar: http.cookiejar.CookieJar) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def _get(opener, url: str) -> tuple[int, str]:
    try:
        with opener.open(url, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _log_in(demo: Demo, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = _opener(jar)
    _, page = _get(opener, demo.base + "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(demo.base + "/login/", data=form)
    request.add_header("Referer", demo.base + "/login/")
    with pytest.raises(urllib.error.HTTPError) as redirected:  # NoRedirect: 302 raises
        opener.open(request, timeout=20)
    assert redirected.value.code == 302, redirected.value.read().decode()[:2000]
    return opener


def _started_jobs(conn) -> list[bytes]:
    return [key for key in conn.scan_iter("rq:job:*") if conn.hget(key, "status") == b"started"]


def _explains(page: str, body: str) -> bool:
    if page.startswith("/rq-poll/status/"):  # the endpoint answers JSON
        return '"error"' in body
    return "Temporarily unavailable" in body


def test_every_demo_page_answers_an_outage_without_a_500(tmp_path, private_redis):
    server = private_redis()
    demo = Demo(tmp_path, server.url)
    try:
        demo.wait_until_up()
        staff = _log_in(demo, "staff", "staff-demo")
        assert _get(staff, demo.base + "/django-rq/")[0] == 200
        assert _get(staff, demo.base + "/report/north/")[0] == 202  # a job of some seconds
        wait_until(lambda: _started_jobs(server.client()), timeout=60)
        server.stop()  # while the job runs: rq's worker exits
        wrong = []
        for who, opener, pages in (
            ("anonymous", _opener(http.cookiejar.CookieJar()), ANONYMOUS),
            ("staff", staff, STAFF),
        ):
            for page, allowed in pages.items():
                status, body = _get(opener, demo.base + page)
                if status not in allowed:
                    wrong.append(f"{who} {page}: {status} {body[:300]!r}")
                elif status == 503 and not _explains(page, body):
                    wrong.append(f"{who} {page}: 503 without the unavailable page")
        assert wrong == [], demo.output()[-3000:]
        assert demo.proc.poll() is None  # the worker exits; the demo carries on

        wait_until(lambda: "rqworker exited with code" in demo.output(), timeout=60)
        server.start()  # the blip is over: the worker is started again and runs jobs
        wait_until(lambda: "Started rqworker again" in demo.output(), timeout=60)
        assert '<output id="result">8</output>' in demo.wait_for_result("/add/3/5/", 120)
        assert _get(staff, demo.base + "/processes/")[0] == 200
        assert demo.interrupt() == 0
    finally:
        demo.kill()
