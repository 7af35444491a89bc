"""Loading libvidiflow_auth and declaring its C API for ctypes.

Every function this package calls is declared here with ``argtypes`` and ``restype``. Object
pointers (``vf_options *``, ``vf_client *``, ``vf_token *``, ``vf_error *``) are ``c_void_p``;
strings handed out by the library are read through ``c_char_p``, which copies them into Python
``bytes`` before the object that owns them is freed.

ctypes releases the GIL for the duration of every call into a ``CDLL``, so threads blocked in
the library (waiting for the authority, or for another thread's request) do not stop Python.
The calls of a cache hit never block (``vf_token_is_current``, ``vf_token_get_cached``,
``vf_token_free``), so they are also declared on a ``PyDLL`` of the same library (:data:`hot`),
which keeps the GIL: releasing and retaking it would cost more than the calls.
:data:`is_current` is ``vf_token_is_current`` without ``argtypes``: its caller passes ctypes
objects it made once, as the C types they are, and skips the per-argument conversion that
``argtypes`` costs on every call (more than the call itself).
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import POINTER, c_bool, c_char_p, c_int64, c_uint16, c_uint32, c_uint64, c_void_p
from pathlib import Path
from typing import Any, List, Tuple

#: The ABI version this binding is written for (``vf_abi_version()``).
ABI_VERSION = 1

#: The environment variable that names the library file to load instead of the packaged one.
LIBRARY_PATH_ENV = "VF_LIBRARY_PATH"


class LibraryLoadError(ImportError):
    """libvidiflow_auth could not be found or loaded, or it is not a version this binding fits.

    Raised when ``vidiflow_auth`` is imported. The message lists every path that was tried.
    """


def library_file_name() -> str:
    """The platform's file name for the library (``libvidiflow_auth.so`` on Linux)."""
    if sys.platform == "darwin":
        return "libvidiflow_auth.dylib"
    if sys.platform == "win32":
        return "vidiflow_auth.dll"
    return "libvidiflow_auth.so"


def candidate_paths() -> List[Tuple[str, Path]]:
    """Where the library is looked for, in order, each with a note saying why.

    ``VF_LIBRARY_PATH`` (a file path), when set, is the only candidate: an explicit override
    that fails must not quietly fall back to another copy. Otherwise the library next to this
    module, where the wheel puts it. There is no search of system directories.
    """
    override = os.environ.get(LIBRARY_PATH_ENV, "")
    if override:
        return [(f"{LIBRARY_PATH_ENV}", Path(override).expanduser())]
    return [("next to the module", Path(__file__).resolve().parent / library_file_name())]


class VfStats(ctypes.Structure):
    """``vf_stats``: a client's counters."""

    _fields_ = [
        ("hits", c_uint64),
        ("misses", c_uint64),
        ("requests", c_uint64),
        ("failed_requests", c_uint64),
        ("errors", c_uint64),
    ]


class VfSharedStats(ctypes.Structure):
    """``vf_shared_stats``: the counters of a client's shared cache levels."""

    _fields_ = [
        ("shared_hits", c_uint64),
        ("redis_hits", c_uint64),
        ("redis_misses", c_uint64),
        ("redis_errors", c_uint64),
    ]


#: ``vf_log_callback``: (user_data, level, message).
LOG_CALLBACK = ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)

_SIGNATURES: Tuple[Tuple[str, Any, List[Any]], ...] = (
    # library
    ("vf_abi_version", c_uint32, []),
    ("vf_version", c_char_p, []),
    ("vf_status_name", c_char_p, [c_uint32]),
    ("vf_set_log_callback", None, [LOG_CALLBACK, c_void_p]),
    # options
    ("vf_options_new", c_void_p, []),
    ("vf_options_set", c_uint32, [c_void_p, c_char_p, c_char_p, POINTER(c_void_p)]),
    ("vf_options_from_env", c_uint32, [c_void_p, POINTER(c_void_p)]),
    ("vf_options_free", None, [c_void_p]),
    # client
    ("vf_client_new", c_uint32, [c_void_p, POINTER(c_void_p), POINTER(c_void_p)]),
    ("vf_client_free", None, [c_void_p]),
    ("vf_client_stats", c_uint32, [c_void_p, POINTER(VfStats)]),
    ("vf_client_shared_stats", c_uint32, [c_void_p, POINTER(VfSharedStats)]),
    ("vf_client_clear_hold", c_uint32, [c_void_p]),
    # token
    ("vf_token_get", c_uint32, [c_void_p, POINTER(c_void_p), POINTER(c_void_p)]),
    ("vf_token_get_valid_for", c_uint32, [c_void_p, c_uint32, POINTER(c_void_p), POINTER(c_void_p)]),
    ("vf_token_get_cached", c_uint32, [c_void_p, c_uint32, POINTER(c_void_p), POINTER(c_void_p)]),
    ("vf_token_is_current", c_bool, [c_void_p, c_void_p, c_uint32]),
    ("vf_token_invalidate", c_uint32, [c_void_p, c_char_p]),
    ("vf_token_free", None, [c_void_p]),
    ("vf_token_access_token", c_char_p, [c_void_p]),
    ("vf_token_authorization", c_char_p, [c_void_p]),
    ("vf_token_type", c_char_p, [c_void_p]),
    ("vf_token_scope", c_char_p, [c_void_p]),
    ("vf_token_expires_at", c_int64, [c_void_p]),
    ("vf_token_expires_in", c_int64, [c_void_p]),
    # error
    ("vf_error_status", c_uint32, [c_void_p]),
    ("vf_error_message", c_char_p, [c_void_p]),
    ("vf_error_oauth_error", c_char_p, [c_void_p]),
    ("vf_error_oauth_description", c_char_p, [c_void_p]),
    ("vf_error_oauth_uri", c_char_p, [c_void_p]),
    ("vf_error_http_status", c_uint16, [c_void_p]),
    ("vf_error_retry_after_ms", c_uint64, [c_void_p]),
    ("vf_error_free", None, [c_void_p]),
)


def _declare(lib: ctypes.CDLL, path: Path) -> None:
    missing = []
    for name, restype, argtypes in _SIGNATURES:
        try:
            function = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        function.restype = restype
        function.argtypes = argtypes
    if missing:
        raise LibraryLoadError(
            f"vidiflow_auth: {path} lacks {', '.join(missing)}; it is not a libvidiflow_auth "
            f"this binding can use (ABI {ABI_VERSION})"
        )


def _load_file(path: Path) -> ctypes.CDLL:
    """Loads the library file at ``path``.

    On Windows the path is made absolute first (a relative one would make the loader search), and
    the DLL's own folder is added to the DLL search while it loads (``os.add_dll_directory``), so
    a DLL it depends on that sits beside it is found whatever the process's ``PATH``. Elsewhere,
    ``dlopen`` of the path as given.
    """
    if sys.platform != "win32":
        return ctypes.CDLL(str(path))
    full = path.resolve()
    with os.add_dll_directory(str(full.parent)):
        return ctypes.CDLL(str(full))


def load() -> Tuple[ctypes.CDLL, Path]:
    """Finds, loads and checks the library; raises LibraryLoadError naming every path tried."""
    tried = []
    for why, path in candidate_paths():
        if path.is_dir():
            tried.append(f"{path} ({why}: a directory; name the library file itself)")
            continue
        if not path.is_file():
            tried.append(f"{path} ({why}: no such file)")
            continue
        try:
            lib = _load_file(path)
        except OSError as error:
            tried.append(f"{path} ({why}: cannot be loaded: {error})")
            continue
        _declare(lib, path)
        abi = lib.vf_abi_version()
        if abi != ABI_VERSION:
            raise LibraryLoadError(
                f"vidiflow_auth: {path} has ABI version {abi}, but this binding is written for "
                f"ABI version {ABI_VERSION}; install matching versions of the package and library"
            )
        return lib, path
    raise LibraryLoadError(
        f"vidiflow_auth: cannot load {library_file_name()}; looked in: "
        + "; ".join(tried)
        + f". Set {LIBRARY_PATH_ENV} to the library's file path, or reinstall the package "
        "(`pip install ./bindings/python` builds the library with cargo)."
    )


lib, library_path = load()


def _hot(path: Path) -> ctypes.PyDLL:
    """The same library through a handle whose calls keep the GIL, for calls that never block."""
    hot = ctypes.PyDLL(str(path))
    for name, restype, argtypes in _SIGNATURES:
        if name in ("vf_token_get_cached", "vf_token_free"):
            function = getattr(hot, name)
            function.restype = restype
            function.argtypes = argtypes
    return hot


hot = _hot(library_path)

#: ``vf_token_is_current(client, token, seconds)`` on :data:`hot`, unchecked: pass ``client`` and
#: ``token`` as ``c_void_p`` objects and ``seconds`` as an int in ``[0, 2**31)``.
is_current = hot["vf_token_is_current"]  # a function object of its own, never given argtypes
is_current.restype = c_bool
