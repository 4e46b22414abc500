"""``python run_crawl.py crawl|runspider ...``: Scrapy's command line, with :class:`cpu_meter.CpuMeter` added.

Run with the working directory in the project to measure (its ``scrapy.cfg`` picks its settings) or outside
any project (the floor spider); the meter is added to whatever ``EXTENSIONS`` the settings already have.
"""

from __future__ import annotations

import sys

from scrapy.cmdline import execute
from scrapy.utils.project import get_project_settings

if __name__ == "__main__":
    settings = get_project_settings()
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["cpu_meter.CpuMeter"] = 0
    settings.set("EXTENSIONS", extensions, priority="project")
    execute(["scrapy", *sys.argv[1:]], settings)
