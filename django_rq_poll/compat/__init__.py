"""Drop-in modules for code written against older polling APIs.

:mod:`django_rq_poll.compat.madrona` has the functions of madrona's
``madrona.async.ProcessHandler`` (MarineMap's ``lingcod.async`` in its later form), so
an app written for it moves over by changing its imports. New code should use
:mod:`django_rq_poll` itself.
"""
