"""A small app shaped like the madrona apps that used ``madrona.async``.

A :class:`~tests.madrona_app.models.Scenario` (madrona-priorities' prioritization
scenario, cut down) re-runs its analysis whenever it is saved; a progress JSON view is
polled by a small client; a show page displays the result once the app has copied it
into the model. The app talks to the job layer through a *port* chosen by the setting
``MADRONA_APP_PORT``: ``"compat"`` is the madrona code with only its import changed
(:mod:`django_rq_poll.compat.madrona`), ``"main"`` the same app written on the main API.
"""
