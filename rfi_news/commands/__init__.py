"""The project's Scrapy commands (``COMMANDS_MODULE``).

``crawl`` checks its arguments and exits with the run's health; ``spiders`` lists every spider's arguments.
``bench``, ``fetch``, ``shell``, ``parse``, ``view``, ``check`` and ``runspider`` are Scrapy's own, given back
their own settings: Scrapy applies a command's ``default_settings`` below the project's, so the crawl's
politeness and limits (``DOWNLOAD_DELAY``, AutoThrottle, ``CLOSESPIDER_TIMEOUT``) would slow or stop them and
the crawl's monitors would judge them (``scrapy bench`` hung, ``fetch`` ended "UNHEALTHY"). Here they are set
again above the project's (and below ``-s``).
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

# What a crawl needs and a one-off command must not have: the run's health checks, the per-run default output,
# the politeness delay of an unattended crawl, its time limit. robots.txt is still obeyed (ROBOTSTXT_OBEY).
TOOL_SETTINGS: dict[str, Any] = {
    "SPIDERMON_ENABLED": False,
    "RFI_DEFAULT_OUTPUT": False,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CLOSESPIDER_TIMEOUT": 0,
    "RFI_PROGRESS_INTERVAL": 0,
}


class ToolCommand:
    """Mixin for a Scrapy command (first base): its own settings win over the project's crawl settings."""

    tool_settings: ClassVar[dict[str, Any]] = {}
    settings: Any
    default_settings: ClassVar[dict[str, Any]]

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        own = {**TOOL_SETTINGS, **self.default_settings, **self.tool_settings}
        for name, value in own.items():
            self.settings.set(name, value, priority="project")
        super().process_options(args, opts)  # type: ignore[misc]
