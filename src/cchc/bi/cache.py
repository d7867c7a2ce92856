"""Superset's chart-data cache, kept per serving snapshot (loaded by superset_config.py, in
Superset's environment).

The serving snapshot is read-only and a publish replaces it by moving the serving link to a
new file. Every cache key is therefore prefixed with the file the link points to at the
moment of the lookup: the first load after a publish misses and queries the new snapshot,
and the entries of the old one are never read again (they expire by their timeout, and the
threshold prunes them). Row-level security is part of Superset's own key, so one role never
reads another's cached rows. A file cache, so the gunicorn workers share it.
"""

from __future__ import annotations

import os

from flask_caching.backends.filesystemcache import FileSystemCache


class SnapshotFileSystemCache(FileSystemCache):
    def __init__(self, cache_dir: str, serving_link: str, **kwargs) -> None:
        super().__init__(cache_dir, **kwargs)
        self.serving_link = serving_link

    def _get_filename(self, key: str) -> str:
        if key != self._fs_count_file:  # cachelib's own item counter stays one file
            key = f"{os.path.realpath(self.serving_link)}\0{key}"
        return super()._get_filename(key)

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.update(threshold=config["CACHE_THRESHOLD"], ignore_errors=config["CACHE_IGNORE_ERRORS"])
        return cls(config["CACHE_DIR"], config["CACHE_SERVING_LINK"], *args, **kwargs)
