"""The library's log messages, sent to Python's ``logging``.

On import, messages go to the ``vidiflow_auth`` logger: configure it as any other (by default
Python shows warnings and errors). :func:`set_logger` picks another logger, or ``None`` to
silence the library. The library never puts a secret, a request body or a token in a message.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Optional

from . import _native

_lib = _native.lib

#: ``vf_log_level`` to ``logging`` levels.
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}

_logger: Optional[logging.Logger] = None
_installed = False
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock at fork(); only the forking thread lives on.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _deliver(_user_data: Optional[int], level: int, message: Optional[bytes]) -> None:
    # Runs on any thread, the library's own included (ctypes takes the GIL). It must not raise
    # into C, and reads the logger once so a concurrent set_logger() is harmless.
    try:
        logger = _logger
        python_level = _LEVELS.get(level, logging.ERROR)
        if logger is not None and message is not None and logger.isEnabledFor(python_level):
            logger.log(python_level, "%s", message.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 (nothing may escape into the library)
        pass


# Made once and kept for the life of the process: the library may call it from any thread
# until it is replaced, and a collected ctypes callback would crash the process.
_CALLBACK = _native.LOG_CALLBACK(_deliver)


def set_logger(logger: Optional[logging.Logger]) -> None:
    """Sends the library's messages to ``logger`` (``None``: silence them).

    Process-wide, like ``vf_set_log_callback``: the last call wins, and it replaces any callback
    a C host installed. Thread-safe; a child process after ``fork()`` keeps the setting. Do not
    call it from a logging handler that receives the library's messages.
    """
    global _logger, _installed
    with _lock:
        _logger = logger
        wanted = logger is not None
        if wanted != _installed:
            _lib.vf_set_log_callback(_CALLBACK if wanted else _native.LOG_CALLBACK(), None)
            _installed = wanted


def _uninstall() -> None:
    # The library's threads must not call into an interpreter that is shutting down.
    set_logger(None)


# Silent unless the application configures logging (the usual manners of a library).
logging.getLogger("vidiflow_auth").addHandler(logging.NullHandler())
set_logger(logging.getLogger("vidiflow_auth"))
atexit.register(_uninstall)
