"""The project's Scrapy commands (``COMMANDS_MODULE``): ``crawl`` with an exit status a scheduler can act on."""
