"""Each template tag's exact output, rendered the way a site's template would."""

from __future__ import annotations

from django.template import Context, Template
from django.test import RequestFactory

import django_rq_poll as poll
from tests import tasks


def render(source: str, **context) -> str:
    return Template("{% load rq_poll %}" + source).render(Context(context))


class TestProcessStatus:
    def test_unknown_url_is_empty(self, url):
        assert render("{% process_status url %}", url=url) == ""

    def test_running_and_complete(self, url, run_jobs):
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert render("{% process_status url %}", url=url) == (
            "This process is currently running in the background."
        )
        run_jobs()
        assert render("{% process_status url %}", url=url) == "This process is complete."

    def test_failed(self, url, run_jobs):
        poll.begin_process(tasks.fail, polling_url=url)
        run_jobs()
        assert render("{% process_status url %}", url=url) == "This process failed."

    def test_output_is_escaped(self, url, settings, tmp_path):
        status_dir = tmp_path / "django_rq_poll" / "status"
        status_dir.mkdir(parents=True)
        (status_dir / "running.txt").write_text("<b>busy</b>")
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert render("{% process_status url %}", url=url) == "&lt;b&gt;busy&lt;/b&gt;"


class TestProcessProgress:
    def test_no_report_is_indeterminate(self, url):
        poll.begin_process(tasks.add, (1, 2), polling_url=url)
        assert render("{% process_progress url %}", url=url) == (
            '<label class="rq-poll-progress"><span data-rq-poll-label>Progress</span> '
            '<progress data-rq-poll-bar max="100"></progress></label>'
        )

    def test_reported_progress(self, url, run_jobs):
        poll.begin_process(tasks.report, (3,), polling_url=url)
        run_jobs()
        assert render("{% process_progress url %}", url=url) == (
            '<label class="rq-poll-progress"><span data-rq-poll-label>step 3 of 3</span> '
            '<progress data-rq-poll-bar max="100" value="100">100%</progress></label>'
        )

    def test_message_is_escaped(self):
        from django_rq_poll.web.html import progress_bar

        bar = progress_bar(progress=poll.Progress(1, 3, '<img src=x onerror="a()">'))
        assert bar == (
            '<label class="rq-poll-progress"><span data-rq-poll-label>'
            "&lt;img src=x onerror=&quot;a()&quot;&gt;</span> "
            '<progress data-rq-poll-bar max="100" value="33">33%</progress></label>'
        )

    def test_unknown_total_keeps_message(self):
        from django_rq_poll.web.html import progress_bar

        assert progress_bar(progress=poll.Progress(7, None, "7 rows")) == (
            '<label class="rq-poll-progress"><span data-rq-poll-label>7 rows</span> '
            '<progress data-rq-poll-bar max="100"></progress></label>'
        )

    def test_a_report_without_a_message_is_labelled_progress(self):
        from django_rq_poll.web.html import progress_bar

        assert progress_bar(progress=poll.Progress(1, 2)) == (
            '<label class="rq-poll-progress"><span data-rq-poll-label>Progress</span> '
            '<progress data-rq-poll-bar max="100" value="50">50%</progress></label>'
        )


class TestPollScript:
    def test_plain(self):
        assert render("{% poll_script %}") == (
            '<script src="/static/django_rq_poll/poll.js" defer></script>'
        )

    def test_request_nonce(self):
        request = RequestFactory().get("/")
        request.csp_nonce = 'n0nce"'
        assert render("{% poll_script %}", request=request) == (
            '<script src="/static/django_rq_poll/poll.js" defer nonce="n0nce&quot;"></script>'
        )

    def test_context_nonce(self):
        assert render("{% poll_script %}", csp_nonce="abc") == (
            '<script src="/static/django_rq_poll/poll.js" defer nonce="abc"></script>'
        )

    def test_the_running_pages_fallback_carries_the_nonce_too(self):
        """On the running page (which sets poll_fallback_ms) a reload follows unless the
        script starts; under a CSP both scripts carry the nonce."""
        assert render("{% poll_script %}", csp_nonce="abc", poll_fallback_ms=3000) == (
            '<script src="/static/django_rq_poll/poll.js" defer nonce="abc"></script>'
            '<script nonce="abc">setTimeout(function(){var r=document.querySelector('
            "'[data-rq-poll]');if(r&&!r.rqPoll){location.reload();}},3000);</script>"
        )
