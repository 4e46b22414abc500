"""``scrapy redis_status [SPIDER …] [--reset frontier|all] [--force]``: a shared crawl as a whole, in Redis.

For each spider (default: every spider of the project) it prints what Redis holds under ``RFI_REDIS_PREFIX``
(docs/distributed.md): requests queued, requests seen by the crawl (its seen-requests filter), pages done
(fetched), articles emitted (published, all crawls), articles pending (in outputs not published yet), and the
workers alive with what each says of itself. Exit status 1 when ``RFI_REDIS_URL`` is not set or Redis cannot be
reached.

``--reset frontier`` forgets the crawl in progress (queue, seen filter, done count): the next worker starts a new
crawl. ``--reset all`` also forgets the crawl state (what was emitted, feed validators, claims): the next crawl
emits everything again. Both refuse while a worker is alive, unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import redis
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from rfi_news.distributed.connection import PREFIX_SETTING, Keys, redis_client, redis_url_of, without_password


def spider_figures(client: redis.Redis, keys: Keys) -> dict[str, Any]:
    workers = []
    for worker_id, info in sorted(client.hgetall(keys.workers).items()):
        status = client.get(keys.alive(str(worker_id)))
        workers.append({"id": worker_id, "status": status or "gone", **json.loads(info)})
    pending = sum(client.hlen(key) for key in client.scan_iter(match=keys.pending_prefix + "*"))
    return {
        "queued": client.zcard(keys.requests),
        "seen": client.scard(keys.dupefilter),
        "done": int(client.get(keys.done) or 0),
        "emitted": client.hlen(keys.emitted),
        "pending": pending,
        "claims": client.hlen(keys.claims),
        "feeds": client.hlen(keys.feeds),
        "workers": workers,
    }


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[SPIDER ...] [--reset frontier|all] [--force] [--json]"

    def short_desc(self) -> str:
        return "Show a distributed crawl as a whole in Redis (queued, done, emitted, workers); reset it"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--reset", choices=("frontier", "all"), help="forget the crawl (frontier) or everything")
        parser.add_argument("--force", action="store_true", help="reset even while workers are alive")
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        url = redis_url_of(self.settings)
        if url is None:
            print("RFI_REDIS_URL is not set (a setting or an environment variable): no shared crawl", file=sys.stderr)
            self.exitcode = 1
            return
        names = args or sorted(get_spider_loader(self.settings).list())
        known = set(get_spider_loader(self.settings).list())
        if unknown := [name for name in names if name not in known]:
            raise UsageError(f"no such spider: {', '.join(unknown)}")
        client = redis_client(url)
        prefix = self.settings.get(PREFIX_SETTING) or "rfi_news"
        try:
            figures = {name: spider_figures(client, Keys(prefix, name)) for name in names}
            if opts.reset:
                self.reset(client, prefix, names, figures, opts)
                return
        except redis.RedisError as exc:
            print(f"Redis at {without_password(url)}: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        if opts.json:
            print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
            return
        print(f"Redis {without_password(url)}, keys under {prefix}:")
        for name, spider in figures.items():
            print(
                f"{name}: {spider['queued']} queued, {spider['seen']} seen, {spider['done']} done, "
                f"{spider['emitted']} emitted, {spider['pending']} pending, {len(spider['workers'])} worker(s)"
            )
            for worker in spider["workers"]:
                extra = ", ".join(f"{key} {worker[key]}" for key in ("fetched", "records") if key in worker)
                print(
                    f"  {worker['id']}: {worker['status']}, since {worker['since']}" + (f", {extra}" if extra else "")
                )

    def reset(
        self, client: redis.Redis, prefix: str, names: list[str], figures: dict[str, Any], opts: argparse.Namespace
    ) -> None:
        alive = [
            worker["id"] for spider in figures.values() for worker in spider["workers"] if worker["status"] != "gone"
        ]
        if alive and not opts.force:
            print(f"Not resetting: worker(s) alive: {', '.join(alive)} (stop them, or --force)", file=sys.stderr)
            self.exitcode = 1
            return
        for name in names:
            keys = Keys(prefix, name)
            if opts.reset == "frontier":
                doomed = [keys.requests, keys.dupefilter, keys.done]
            else:
                doomed = list(client.scan_iter(match=keys.all_of_spider()))
            deleted = client.delete(*doomed) if doomed else 0
            print(f"{name}: {opts.reset} reset ({deleted} key(s) deleted)")
