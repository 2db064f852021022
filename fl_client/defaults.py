"""Every package-wide default, in one place, at the bottom of the package.

Every other module reads its defaults from here; this module imports nothing, so each layer
(``_core``, ``resources``, ``participant``, ``cli``, the shared top-level modules) imports it
downwards.
"""

from __future__ import annotations

__all__ = [
    "CLOCK_SKEW_WARN_SECONDS",
    "DEFAULT_BASE_URL",
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_CATCH_UP_INTERVAL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_DOCTOR_TIMEOUT",
    "DEFAULT_IDENTITY_MAX_DELAY",
    "DEFAULT_IDENTITY_RETRY_DELAY",
    "DEFAULT_INITIAL_RETRY_DELAY",
    "DEFAULT_KILL_TIMEOUT",
    "DEFAULT_LOG_DIR",
    "DEFAULT_LOG_KEEP",
    "DEFAULT_LOG_TAIL_LINES",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONCURRENT_RUNS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_MODEL_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_MAX_RETRY_DELAY",
    "DEFAULT_MAX_TRAININGS",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_PROBE_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RUN_ATTEMPTS",
    "DEFAULT_RUN_RETRY_DELAY",
    "DEFAULT_RUN_RETRY_MAX_DELAY",
    "DEFAULT_SERVER_HOST",
    "DEFAULT_SERVER_PORT",
    "DEFAULT_SHARED_SECRET_HEADER",
    "DEFAULT_SHUTDOWN_GRACE",
    "DEFAULT_STALL_TIMEOUT",
    "DEFAULT_STATE_DIR",
    "DEFAULT_WAIT_TIMEOUT",
    "DEFAULT_WATCH_INTERVAL",
    "DEFAULT_WATCH_MAX_INTERVAL",
    "DEFAULT_WATCH_POLL",
    "DEFAULT_WRITE_TIMEOUT",
    "EMULATOR_SCHEMA_TITLE",
    "HTTP_READ_BYTES",
    "MODEL_FILE_NAME",
    "MODEL_SIZE_MARGIN_BYTES",
    "MULTIPART_BOUNDARY_BYTES",
    "NEAR_MODEL_LIMIT_FRACTION",
    "PROGRESS_MIN_INTERVAL",
    "RAM_STAGING_DIR",
    "RAM_STAGING_MARGIN_BYTES",
    "SERVER_MAX_MODEL_BYTES",
    "STREAM_QUEUE_CHUNKS",
    "TEMP_FILE_PREFIX",
    "TRANSFER_CHUNK_BYTES",
]

DEFAULT_BASE_URL = "http://localhost:8000"

# Timeouts in seconds. Connecting is quick or broken; reading and writing may move a 1 GB model
# over a slow link, and httpx applies them per socket operation, not to the whole transfer.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 300.0
DEFAULT_WRITE_TIMEOUT = 300.0
DEFAULT_POOL_TIMEOUT = 10.0

# Retries of transient failures (see fl_client._core.retry).
DEFAULT_MAX_RETRIES = 2
DEFAULT_INITIAL_RETRY_DELAY = 0.5
DEFAULT_MAX_RETRY_DELAY = 8.0
# A server's Retry-After is honoured up to this many seconds.
DEFAULT_MAX_RETRY_AFTER = 30.0

# The notification receiver (`fl-client serve`); 8101 is the reference client's port.
DEFAULT_SERVER_HOST = "0.0.0.0"
DEFAULT_SERVER_PORT = 8101
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# A whole request body must arrive within this many seconds (and an idle keep-alive connection is
# closed after it): a half-sent or trickled body costs one thread for this long, never forever.
DEFAULT_BODY_TIMEOUT = 10.0
# Connections the receiver serves at once (one thread each); more are answered 503 at once. A
# request's head, like its body, has `DEFAULT_BODY_TIMEOUT` in all, so a peer that trickles bytes
# holds its thread that long at most: slow peers cost at most this many threads, and a real
# notification finds a free one while fewer than this many are slow.
DEFAULT_MAX_CONNECTIONS = 256
# Header a proxy in front of the receiver may add with a shared secret (only checked when set).
DEFAULT_SHARED_SECRET_HEADER = "X-FL-Client-Secret"  # noqa: S105 (a header name, not a secret)

# The receiver asks who its credentials belong to until the server answers: first again after this
# many seconds, then twice as long each time, at most the maximum.
DEFAULT_IDENTITY_RETRY_DELAY = 1.0
DEFAULT_IDENTITY_MAX_DELAY = 60.0

# Script runs started by the receiver. Training scripts are heavy, so only a few run at once; the
# rest queue. Rounds of one training never overlap (the server waits for uploads), so the limit
# matters for a participant in several trainings.
DEFAULT_MAX_CONCURRENT_RUNS = 4
# On shutdown running scripts get this long to finish, then SIGTERM, then SIGKILL after the kill
# timeout. 30 s is long enough for an upload in progress to complete on a reasonable link.
DEFAULT_SHUTDOWN_GRACE = 30.0
DEFAULT_KILL_TIMEOUT = 5.0
# One log file per run goes here (relative to the working directory of `fl-client serve`).
DEFAULT_LOG_DIR = "fl-client-runs"
# Run logs kept in the log directory: when a run starts, the oldest beyond this many are removed
# (0 keeps all). Enough for every round of many trainings, yet a receiver running for months
# does not fill its disk.
DEFAULT_LOG_KEEP = 1000
# Trainings whose runs the dispatcher remembers (to ignore duplicate notifications): beyond this
# many, the finished runs of the training least recently notified are forgotten.
DEFAULT_MAX_TRAININGS = 100
# Lines of a failed run's log repeated in the receiver's log.
DEFAULT_LOG_TAIL_LINES = 20
# The run journal (SQLite) lives here (relative to the working directory of `fl-client serve`).
DEFAULT_STATE_DIR = "fl-client-state"
# A run that exits non-zero runs again, up to this many attempts in all, after a delay that starts
# here and doubles up to the maximum: long enough for a server or network hiccup to pass, short
# enough that the round is not held up for long.
DEFAULT_RUN_ATTEMPTS = 3
DEFAULT_RUN_RETRY_DELAY = 10.0
DEFAULT_RUN_RETRY_MAX_DELAY = 120.0
# How often the receiver asks the server what it owes (and once at start): a lost notification
# costs at most this long.
DEFAULT_CATCH_UP_INTERVAL = 60.0

# The largest model file the server can store. Measured on a real server (release 1.0.1 with its
# locked dependencies, PostgreSQL): a 268,422,833-byte file was stored, a 268,438,911-byte one
# refused with 500 {"error": "Server Error (500)"} and nothing stored; PostgreSQL logged "invalid
# memory alloc request size 1073741824" for the INSERT. Why: the database driver writes the file
# into the INSERT as one string literal of hex text ("\x" and 2 characters per byte), and
# PostgreSQL's SQL lexer doubles its literal buffer, which cannot reach 1 GiB (its allocation
# limit): a literal of 2**29 characters fails, so a file stores when 2 * size + 2 < 2**29.
# The emulator (fl_client.testing) refuses larger files the same way.
SERVER_MAX_MODEL_BYTES = 2**28 - 2
# Uploads of a model file over DEFAULT_MAX_MODEL_BYTES are refused before a byte is sent
# (fl_client._core.limits): 2**28 less this margin, 255.94 MiB. 64 KiB keeps the default below
# the largest file measured stored (2**28 - 12,623 bytes), so every size allowed is one a real
# server stored, and leaves room for what the INSERT carries beyond the file (the literal's
# quotes and "\x" prefix, a driver or setting that escapes a few more characters) for 0.02% of the
# capacity. 0 turns the check off (a server that stores models elsewhere).
MODEL_SIZE_MARGIN_BYTES = 64 * 1024
DEFAULT_MAX_MODEL_BYTES = 2**28 - MODEL_SIZE_MARGIN_BYTES

# Model files move in chunks of this size: an upload reads the temporary file this much at a time.
# Big enough that per-chunk Python overhead vanishes, small enough to stay in the CPU cache.
TRANSFER_CHUNK_BYTES = 1024 * 1024

# A streamed upload (torch.save straight into the request body) queues at most this many chunks
# between the thread that saves and the one that sends: the memory in flight is this x 1 MiB.
STREAM_QUEUE_CHUNKS = 4

# How much httpcore asks the socket for per read. Its default, 64 KiB, caps a streamed download
# at a few hundred MB/s on loopback (every 64 KiB passes through h11, httpcore and httpx); 1 MiB
# reads measured 2-4x faster. Only fl_client's own connections read this much (fl_client._core.reads).
HTTP_READ_BYTES = 1024 * 1024

# Random bytes in a multipart boundary (hex-encoded: twice as many characters, RFC 2046 allows 70).
MULTIPART_BOUNDARY_BYTES = 16

# The file name of the uploaded model part (the server ignores it, but the part must have one).
MODEL_FILE_NAME = "model.pt"

# Where model files are staged when TMPDIR is not set (Linux): a RAM file system. The model ends up
# in memory anyway (a download is memory-mapped from its file), and writing 1 GB to a disk-backed
# /tmp measured 2-3x slower than to tmpfs and later writes it to disk for nothing. Used only when
# it has room for the model plus this margin (and the machine has that much memory available);
# Docker's default 64 MB /dev/shm therefore falls back to the temporary directory.
RAM_STAGING_DIR = "/dev/shm"  # noqa: S108 - files in it come from mkstemp (O_EXCL, mode 0600)
RAM_STAGING_MARGIN_BYTES = 256 * 1024 * 1024

# Temporary model files are named fl-client-model-*.pt (in TMPDIR unless told otherwise).
TEMP_FILE_PREFIX = "fl-client-model-"

# A terminal progress line is redrawn at most this often (seconds).
PROGRESS_MIN_INTERVAL = 0.1

# `trainings.watch` / `trainings.wait` poll the training this often at first, backing off to the
# maximum while nothing changes; `wait` gives up after the timeout (seconds).
DEFAULT_WATCH_INTERVAL = 0.5
DEFAULT_WATCH_MAX_INTERVAL = 5.0
DEFAULT_WAIT_TIMEOUT = 3600.0

# `fl-client trainings watch`: seconds between polls, and how long nothing may change before it
# gives up (exit code TRAINING_STALLED).
DEFAULT_WATCH_POLL = 1.0
DEFAULT_STALL_TIMEOUT = 600.0

# `fl-client doctor`: seconds each request may take (connect at most 5 of them; no retries: a
# doctor reports what it finds, promptly), and seconds the script's dry run may take (importing
# torch and the script on a busy machine).
DEFAULT_DOCTOR_TIMEOUT = 10.0
DEFAULT_PROBE_TIMEOUT = 120.0
# A server clock this many seconds away from ours is worth a warning (its Date header has 1 s
# resolution; time stamps in logs and metrics stop lining up).
CLOCK_SKEW_WARN_SECONDS = 30.0
# A global model this close to the model size ceiling (a fraction of it) is warned about: a local
# model a little larger (more parameters, another format) would be refused.
NEAR_MODEL_LIMIT_FRACTION = 0.9

# The title of the schema the emulator (fl_client.testing) publishes at /api/schema/: its routes
# only, not the server's document, so `fl-client doctor` does not compare it with the baseline.
EMULATOR_SCHEMA_TITLE = "fl_client emulator"
