"""Packing and unpacking models: torch (de)serialisation, safe by default.

Model bytes from a server are untrusted. `load_model` therefore

* loads TorchScript archives with ``torch.jit.load`` (no pickle code runs);
* loads everything else with ``torch.load(weights_only=True)``: tensors and state dicts always
  work; a pickled ``nn.Module`` works when every class in it is allowed: torch's own
  ``torch.nn`` module classes always are, and the user may name more (``trusted_classes``
  argument, or the ``FL_CLIENT_TRUSTED_CLASSES`` setting);
* unpickles without restriction only with ``trust_remote_code=True`` (or
  ``FL_CLIENT_TRUST_REMOTE_CODE=1``).

A refusal raises `UnsafeModelError` naming the refused class and the two ways to allow it.
This module imports torch; ``import fl_client`` does not import this module.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import logging
import mmap as mmap_module
import os
import pickle
import pkgutil
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

import torch

from .env import ENV_TRUST_REMOTE_CODE, ENV_TRUSTED_CLASSES
from .exceptions import ConfigurationError, ModelSerializationError, UnsafeModelError

__all__ = [
    "TrustedClass",
    "estimated_size",
    "is_torchscript_archive",
    "is_torchscript_instance",
    "load_inference_result",
    "load_model",
    "pack_model",
    "save_model",
    "torch_nn_classes",
    "unpack_model",
]

_logger = logging.getLogger("fl.client.serialization")

TrustedClass = str | type
"""A class allowed when unpickling: the class itself or its dotted name (``"mypkg.nets.Net"``)."""

# torch's two ways of refusing: a global outside the allow-list, or one from a module it blocks
# outright (os, posix, subprocess, ...: no allow-list can admit those)
_REFUSED_RE = re.compile(r"GLOBAL ([\w.]+) (?:was not an allowed global|whose module ([\w.]+) is blocked)")


def is_torchscript_instance(obj: Any) -> bool:
    """True for a TorchScript module or function (saved with ``torch.jit.save``)."""
    return isinstance(obj, torch.jit.ScriptModule | torch.jit.ScriptFunction)


@contextlib.contextmanager
def _torchscript_is_the_wire_format() -> Iterator[None]:
    """Silence torch's deprecation of TorchScript (2.13): the platform stores and serves TorchScript
    archives, so saving and loading them is not the caller's choice to reconsider."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*torch\.jit\.(save|load)` is deprecated", category=DeprecationWarning
        )
        yield


def save_model(model: Any, file: str | os.PathLike[str] | IO[bytes]) -> None:
    """Serialise ``model`` to a path or binary file: TorchScript via ``torch.jit.save``, else ``torch.save``.

    A model on the GPU is saved as it is; loading maps it where the loader says (``map_location``).
    """
    try:
        if is_torchscript_instance(model):
            _logger.debug("save torchscript model")
            with _torchscript_is_the_wire_format():
                torch.jit.save(model, file)
        else:
            _logger.debug("save torch model")
            torch.save(model, file)
    except (pickle.PicklingError, TypeError, AttributeError, RuntimeError) as exc:
        raise ModelSerializationError(f"cannot serialise {type(model).__name__}: {exc}") from exc


def estimated_size(model: Any) -> int | None:
    """About how many bytes `save_model` writes for ``model``: its tensors' storage (None: unknown).

    Used to pick where to stage the file before writing it.
    """
    tensors: list[torch.Tensor]
    if isinstance(model, torch.nn.Module):
        tensors = list(model.state_dict().values())
    elif isinstance(model, torch.Tensor):
        tensors = [model]
    elif isinstance(model, dict) and all(isinstance(v, torch.Tensor) for v in model.values()):
        tensors = list(model.values())
    else:
        return None
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return int(sum(storages.values()))


def pack_model(model: Any) -> bytes:
    """The bytes `save_model` writes."""
    buffer = io.BytesIO()
    save_model(model, buffer)
    return buffer.getvalue()


def is_torchscript_archive(file: str | os.PathLike[str] | IO[bytes]) -> bool:
    """True when the zip archive holds TorchScript code (``torch.save`` archives hold none)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        if hasattr(file, "seek"):
            file.seek(0)
    return any(name.endswith("/constants.pkl") or "/code/" in name for name in names)


@functools.cache
def torch_nn_classes() -> tuple[type, ...]:
    """Every ``nn.Module`` subclass defined in ``torch.nn.modules`` (Linear, Conv2d, Sequential, ...)."""
    found: set[type] = set()
    for info in pkgutil.walk_packages(torch.nn.modules.__path__, "torch.nn.modules."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, torch.nn.Module)
                and value.__module__.startswith("torch.nn.")
            ):
                found.add(value)
    return tuple(sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}"))


def _resolve_class(name: TrustedClass) -> type:
    if isinstance(name, type):
        return name
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        raise ConfigurationError(f"trusted class {name!r} must be a dotted path such as 'mypkg.nets.Net'")
    try:
        value = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"trusted class {name!r} cannot be imported: {exc}") from exc
    if not isinstance(value, type):
        raise ConfigurationError(f"trusted class {name!r} is not a class")
    return value


def _refusal(exc: Exception) -> UnsafeModelError:
    match = _REFUSED_RE.search(str(exc))
    refused = match.group(1) if match else None
    if match and match.group(2):
        message = (
            f"refused to unpickle the model: it calls {refused}, from module {match.group(2)}, which can "
            "run arbitrary code and is never allowed by safe loading. Only trust_remote_code=True (or "
            f"{ENV_TRUST_REMOTE_CODE}=1) would unpickle it: do not, unless you trust the server and "
            "every participant completely"
        )
        return UnsafeModelError(message, refused=refused)
    what = f"class {refused}" if refused else "a global that is not allowed"
    message = (
        f"refused to unpickle the model: it needs {what}, which is not in the allow-list. "
        f"If you trust that class, allow it with trusted_classes=[{refused or 'module.Class'!r}] "
        f"(or {ENV_TRUSTED_CLASSES}={refused or 'module.Class'}); to unpickle anything, which can "
        f"run arbitrary code, pass trust_remote_code=True (or {ENV_TRUST_REMOTE_CODE}=1)"
    )
    return UnsafeModelError(message, refused=refused)


def load_model(
    file: str | os.PathLike[str] | IO[bytes],
    *,
    trusted_classes: Iterable[TrustedClass] = (),
    trust_remote_code: bool = False,
    map_location: Any = None,
    mmap: bool = False,
    shared_mapping: bool = False,
) -> Any:
    """Load a model from a path or binary file, safely (see the module docstring).

    ``mmap=True`` maps a ``torch.save`` file instead of reading it (paths only). The mapping is
    private (writing a tensor copies its pages) unless ``shared_mapping=True``: then writes go to
    the file's own pages, so training costs no copy; only for a file nobody else uses (a removed
    temporary file). The shared mapping is set for this thread only; a torch whose mmap default is
    process-wide gets a private mapping instead (see `_mmap_options_are_thread_local`).
    """
    source: str | os.PathLike[str] | IO[bytes] = file
    _check_complete(source)
    if is_torchscript_archive(source):
        try:
            with _torchscript_is_the_wire_format():
                return torch.jit.load(source, map_location=map_location)
        except RuntimeError as exc:
            raise ModelSerializationError(f"invalid TorchScript archive: {exc}") from exc
    # only torch.save's zip format can be mapped; legacy (pre-1.6) files are read
    use_mmap = mmap and isinstance(source, str | os.PathLike) and zipfile.is_zipfile(source)
    mapping: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if use_mmap and shared_mapping and _mmap_options_are_thread_local():
        mapping = torch.serialization.set_default_mmap_options(mmap_module.MAP_SHARED)
    try:
        if trust_remote_code:
            _logger.warning("unpickling a model without restriction (trust_remote_code)")
            with mapping:
                return _torch_load(source, weights_only=False, map_location=map_location, mmap=use_mmap)
        allowed = [*torch_nn_classes(), *(_resolve_class(name) for name in trusted_classes)]
        with torch.serialization.safe_globals(allowed), mapping:
            return _torch_load(source, weights_only=True, map_location=map_location, mmap=use_mmap)
    except pickle.UnpicklingError as exc:
        if "unsupported global" in str(exc).lower() or "not an allowed global" in str(exc):
            raise _refusal(exc) from None
        if "Only persistent_load of storage is allowed" in str(exc):
            raise UnsafeModelError(_LEGACY_MODULE) from None
        raise ModelSerializationError(f"invalid model file: {_first_line(exc)}") from exc
    except (RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelSerializationError(f"invalid model file: {_first_line(exc)}") from exc


@functools.cache
def _mmap_options_are_thread_local() -> bool:
    """True when torch keeps its default mmap flags per thread (a ``ContextVar``, torch 2.13).

    ``set_default_mmap_options`` is documented as a global default: where it is one, a user's own
    ``torch.load(mmap=True)`` in another thread during our load would map THEIR file shared, and
    their training would write into it. Then no shared mapping is used at all (a private mapping
    copies the pages training writes: more memory, nobody's file touched).
    """
    from contextvars import ContextVar

    try:
        from torch.utils.serialization import config

        entry = config._config["load.mmap_flags"]
    except (ImportError, AttributeError, KeyError):
        return False
    return isinstance(getattr(entry, "user_override", None), ContextVar)


_ZIP_MAGIC = b"PK\x03\x04"

_LEGACY_MODULE = (
    "refused to unpickle the model: it is a whole module saved in torch's legacy (pre-1.6) format, "
    "which cannot be loaded safely. Re-save it with torch.save of a current torch, or, if you trust "
    f"its source, pass trust_remote_code=True (or {ENV_TRUST_REMOTE_CODE}=1)"
)


def _check_complete(source: str | os.PathLike[str] | IO[bytes]) -> None:
    """Refuse a zip archive without its central directory (a cut-off body) before torch reads it.

    Both torch.save's format and TorchScript are zip archives, whose directory is at the END:
    a truncated file, or one cut at a Content-Length smaller than the model, has none.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            magic = file.read(len(_ZIP_MAGIC))
    else:
        magic = source.read(len(_ZIP_MAGIC))
        source.seek(0)
    if magic == _ZIP_MAGIC and not zipfile.is_zipfile(source):
        raise ModelSerializationError("the model file is an incomplete zip archive (truncated?)")
    if hasattr(source, "seek"):
        source.seek(0)


def _torch_load(source: Any, *, weights_only: bool, map_location: Any, mmap: bool) -> Any:
    with warnings.catch_warnings():
        # torch.load notices TorchScript zips and says so; we route those to torch.jit.load anyway
        warnings.filterwarnings("ignore", message=".*TorchScript archive", category=UserWarning)
        return torch.load(source, weights_only=weights_only, map_location=map_location, mmap=mmap)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def unpack_model(
    blob: bytes,
    *,
    trusted_classes: Iterable[TrustedClass] = (),
    trust_remote_code: bool = False,
    map_location: Any = None,
) -> Any:
    """Load a model from bytes, safely (see `load_model`)."""
    if not blob:
        raise ModelSerializationError("the model data is empty")
    return load_model(
        io.BytesIO(blob),
        trusted_classes=trusted_classes,
        trust_remote_code=trust_remote_code,
        map_location=map_location,
    )


# ---------------------------------------------------------------------------------------------
# Inference results: the server's binary answer is a plain pickle of {"inference": Tensor,
# "uncertainty": dict}. Plain pickle runs any code it names, and torch's own reducer for storages
# calls torch.load(weights_only=False); so only tensor rebuilding, dtypes and containers are
# allowed, and storages are loaded with weights_only=True.

_INFERENCE_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "Tensor"),
    ("torch", "Size"),
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
}


def _storage_from_bytes(data: bytes) -> Any:
    return torch.load(io.BytesIO(data), weights_only=True)


class _InferenceUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _storage_from_bytes
        if (module, name) in _INFERENCE_GLOBALS or (
            module == "torch" and isinstance(getattr(torch, name, None), torch.dtype)
        ):
            return super().find_class(module, name)
        raise UnsafeModelError(
            f"refused to unpickle the inference result: it needs {module}.{name}, which is not a tensor part",
            refused=f"{module}.{name}",
        )


def load_inference_result(data: bytes) -> dict[str, Any]:
    """Load the server's binary inference answer safely: ``{"inference": Tensor, "uncertainty": dict}``.

    Raises `UnsafeModelError` when the pickle needs anything but tensors and containers, and
    `ModelSerializationError` when it is not such a pickle at all.
    """
    if not data:
        raise ModelSerializationError("the inference result is empty")
    try:
        result = _InferenceUnpickler(io.BytesIO(data)).load()
    except UnsafeModelError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, RuntimeError) as exc:
        raise ModelSerializationError(f"invalid inference result: {_first_line(exc)}") from exc
    if not isinstance(result, dict) or "inference" not in result:
        raise ModelSerializationError("the inference result is not a mapping with 'inference'")
    return result
