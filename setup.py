"""The egg that ``scrapyd-deploy`` builds and uploads to Scrapyd.

Scrapyd finds the project's settings through the ``scrapy`` entry point (declared in pyproject.toml with the
dependencies and the ``rfi-news`` command), and imports everything from inside the egg (a zip file): package data
is read with ``pkgutil.get_data``, never through ``__file__``. ``pip install .`` builds from pyproject.toml too.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup


def version() -> str:
    # Read, not imported: importing rfi_news here would need its dependencies at build time.
    text = Path(__file__).with_name("rfi_news").joinpath("__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("rfi_news/__init__.py has no __version__")
    return match.group(1)


setup(
    name="rfi-news",
    version=version(),
    packages=find_packages(exclude=["tests", "tests.*"]),
    package_data={"rfi_news": ["schemas/*.json"]},
    zip_safe=True,
)
