"""bench/bench_upload.py's control run: QAF's settings with uploads held in memory up to
200 MB, so the benchmark shows that it sees a file read into memory whole."""

from qaf.settings import *  # noqa: F403

FILE_UPLOAD_MAX_MEMORY_SIZE = 200 * 1024 * 1024
