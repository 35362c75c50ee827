"""A ``rqpoll-settings`` directive: one entry per key of ``conf.DEFAULTS``.

The key names and defaults come from the code and the descriptions from the docstrings
of the :class:`~django_rq_poll.conf.Settings` properties, so this table cannot drift.
"""

from __future__ import annotations

import inspect
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class SettingsDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        from django_rq_poll.conf import DEFAULTS, Settings

        lines: list[str] = []
        for name, default in DEFAULTS.items():
            prop = getattr(Settings, name)
            doc = inspect.cleandoc(prop.__doc__ or "")
            if not doc:
                raise ValueError(f"Settings.{name} has no docstring to document RQ_POLL[{name!r}].")
            lines += [f".. describe:: RQ_POLL['{name}']", "", f"   Default: ``{default!r}``", ""]
            lines += [f"   {line}" if line else "" for line in doc.splitlines()]
            lines.append("")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="conf.DEFAULTS"), 0, container)
        return container.children


class CommandHelpDirective(SphinxDirective):
    """The ``--help`` text of a management command, as argparse prints it."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from django.core.management import load_command_class

        name = self.arguments[0]
        command = load_command_class("django_rq_poll", name)
        text = command.create_parser("manage.py", name).format_help()
        return [nodes.literal_block(text, text, language="text")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("rqpoll-settings", SettingsDirective)
    app.add_directive("command-help", CommandHelpDirective)
    return {"parallel_read_safe": True}
