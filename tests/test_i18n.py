"""The shipped catalogs: a visitor whose browser asks for a language reads its text.

``LocaleMiddleware`` picks the language from ``Accept-Language``, as on a site that
translates; the catalogs come from django_rq_poll/locale (compiled .mo files).
"""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from django_rq_poll.web import html

EXPECTED = {
    "de": {
        "running": ["Wird bearbeitet…", "Dieser Vorgang wurde gestartet und läuft im Hintergrund."],
        "again": [
            "Dieser Vorgang wartet auf seinen Start: Er ist Nummer 1 in der Warteschlange.",
            "Fortschritt",
        ],
        "failed": [
            "Etwas ist schiefgelaufen",
            "Dieser Vorgang ist fehlgeschlagen.",
            "Erneut versuchen",
        ],
        "unavailable": ["Vorübergehend nicht verfügbar", "versucht es in 10 Sekunden erneut"],
        "missing": "Diesen Vorgang gibt es nicht.",
    },
    "fr": {
        "running": [
            "Traitement en cours…",
            "Ce traitement a démarré et s’exécutera en arrière-plan.",
        ],
        "again": [
            "Ce traitement attend de démarrer : il est en position 1 dans la file d’attente.",
            "Progression",
        ],
        "failed": ["Une erreur s’est produite", "Ce traitement a échoué.", "Réessayer"],
        "unavailable": ["Temporairement indisponible", "réessaiera dans 10 secondes"],
        "missing": "Ce traitement n’existe pas.",
    },
    "es": {
        "running": ["Procesando…", "Este proceso se ha iniciado y se ejecutará en segundo plano."],
        "again": [
            "Este proceso está esperando para empezar: es el número 1 de la cola.",
            "Progreso",
        ],
        "failed": ["Algo salió mal", "Este proceso ha fallado.", "Volver a intentarlo"],
        "unavailable": ["No disponible temporalmente", "volverá a intentarlo en 10 segundos"],
        "missing": "Este proceso no existe.",
    },
    "pt-br": {
        "running": [
            "Processando…",
            "Este processo foi iniciado e será executado em segundo plano.",
        ],
        "again": ["Este processo está aguardando para começar: é o número 1 na fila.", "Progresso"],
        "failed": ["Algo deu errado", "Este processo falhou.", "Tentar novamente"],
        "unavailable": ["Temporariamente indisponível", "tentará novamente em 10 segundos"],
        "missing": "Este processo não existe.",
    },
}


@pytest.fixture(autouse=True)
def locale_middleware(settings):
    middleware = list(settings.MIDDLEWARE)
    after = middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    middleware.insert(after, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
    yield
    translation.deactivate()  # LocaleMiddleware leaves the last language active


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_running_and_failed_pages_in_the_visitors_language(language, run_jobs):
    expected = EXPECTED[language]
    browser = Client(headers={"accept-language": language})
    first = browser.get("/sum/?x=4&y=4")
    assert first.status_code == 202
    for phrase in expected["running"]:
        assert phrase in text(first)
    assert f'<html lang="{language}">' in text(first)
    again = browser.get("/sum/?x=4&y=4")  # no worker yet: waiting, first in the queue
    for phrase in expected["again"]:
        assert phrase in text(again)

    browser.get("/fail/")
    run_jobs()
    failed = browser.get("/fail/")
    assert failed.status_code == 500
    for phrase in expected["failed"]:
        assert phrase in text(failed)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_status_endpoint_and_unavailable_page_in_the_visitors_language(language):
    expected = EXPECTED[language]
    browser = Client(headers={"accept-language": language})
    missing = browser.get("/rq-poll/status/0123456789abcdef/")
    assert missing.status_code == 404
    assert missing.json()["error"] == expected["missing"]
    with translation.override(language):
        page = render_to_string("django_rq_poll/unavailable.html", {"retry_after": 10})
        assert html.progress_bar(progress=None).count(expected["again"][1]) == 1
    for phrase in expected["unavailable"]:
        assert phrase in page


def test_english_stays_the_default():
    first = Client().get("/sum/?x=4&y=5")
    assert "Working on it…" in text(first)
    assert "This process has begun and will be running in the background." in text(first)


def _messages_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "messages.py"
    spec = importlib.util.spec_from_file_location("rq_poll_messages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("source", ["django_rq_poll", "demo"])
@pytest.mark.parametrize("language", ["de", "es", "fr", "pt_BR"])
def test_each_catalog_is_translated_and_compiled(source, language):
    """Without gettext: every .po entry translated, and the .mo says the same, in the
    package's catalogs and the demo's. (CI's `make check-messages` also compares the
    msgids with the sources.)"""
    import gettext

    messages = _messages_script()
    (folder,) = [folder for folder in messages.SOURCES if folder.name == source]
    po = folder / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = messages.parse_po(po)
    assert len(entries) >= 16
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for key, (strings, fuzzy) in entries.items():
        assert not fuzzy and all(strings), (language, key)
        if isinstance(key, tuple):
            assert [compiled.ngettext(*key, n) for n in (1, 5)] == strings, key
        else:
            assert compiled.gettext(key) == strings[0], key


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("de", "Kein Worker hört auf die Warteschlange „default“"),
        ("fr", "Aucun worker n’écoute la file « default »"),
        ("es", "Ningún worker escucha la cola «default»"),
        ("pt-br", "Nenhum worker está escutando a fila “default”"),
    ],
)
def test_the_no_worker_notice_in_the_visitors_language(settings, language, notice):
    settings.DEBUG = True  # the notice is for staff and under DEBUG
    page = Client(headers={"accept-language": language}).get("/sum/?x=9&y=9")
    assert page.status_code == 202
    assert notice in text(page)
    assert "python manage.py rqworker default" in text(page)
