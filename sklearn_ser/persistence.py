"""A model format that runs no code from the file when loaded.

``save(model, path)`` writes a zip archive: ``format.json`` (format name and version), ``model.json``
(the fitted estimator as a tree of allow-listed classes and their state), numeric arrays as ``.npy``
files (read with ``allow_pickle=False``) and torch state dicts as ``.pt`` files (read with
``torch.load(weights_only=True)``). ``load(path)`` rebuilds the estimator from those parts only: it
instantiates classes of this library, scikit-learn and skorch (and a few torch classes named as
parameters, never instantiated from the file's data), restores their attributes, and reads arrays
and tensors through loaders that refuse pickles.

A skorch net is stored as its parameters, its fitted attributes and the state dicts of its module,
criterion and optimizer; loading re-initialises the net from its parameters and loads those state
dicts into it. Training callbacks' internal state (e.g. early stopping's best weights, a learning-rate
scheduler) is not kept, not even of a callback given as a parameter:
a loaded net predicts exactly as saved, and ``partial_fit`` continues from the saved weights.
"""
from __future__ import annotations

import copy
import importlib
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from ._version import __version__
from .exceptions import ModelFormatError

FORMAT = "sklearn-ser-model"
FORMAT_VERSION = 1

# Classes a file may name: an estimator, transformer, splitter or callback of these libraries is
# rebuilt from data alone (__new__ + its attributes), which executes none of the file's code.
_TRUSTED_PACKAGES = ("sklearn_ser", "sklearn", "skorch")
# torch classes appear only as parameters (a net's optimizer, loss, data loader), never as state.
_TRUSTED_TORCH = ("torch.optim", "torch.nn.modules", "torch.utils.data")


def _qualname(obj):
    return f"{obj.__module__}:{obj.__qualname__}"


def _trusted(name, function=False):
    module = name.partition(":")[0]
    if any(part in ("tests", "_testing", "testing") for part in module.split(".")):
        return False  # test helpers run scripts and subprocesses
    packages = ("sklearn_ser",) if function else _TRUSTED_PACKAGES + _TRUSTED_TORCH
    return any(module == p or module.startswith(p + ".") for p in packages)


def _resolve(name, where):
    """The class or function ``module:qualname`` if it is on the allow-list, else refuse."""
    if not _trusted(name):
        raise ModelFormatError(where, f"names {name!r}, which is not a class of sklearn-ser, "
                                      f"scikit-learn, skorch or torch's optimisers and layers")
    module, _, qualname = name.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ModelFormatError(where, f"names {name!r}, which this installation lacks ({exc})") from None
    if not callable(obj) or "<locals>" in qualname:
        raise ModelFormatError(where, f"names {name!r}, which is not a class or function")
    if not isinstance(obj, type) and not _trusted(name, function=True):
        raise ModelFormatError(where, f"names the function {name!r}; only sklearn-ser's functions are allowed")
    return obj


class _Writer:
    """Turns an object into JSON-able nodes, setting arrays and state dicts aside as files."""

    def __init__(self):
        self.files = {}

    def _file(self, prefix, suffix, data):
        name = f"{prefix}/{len(self.files)}{suffix}"
        self.files[name] = data
        return name

    def node(self, obj, path="model"):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)) and type(obj) in (int, float):
            return obj if isinstance(obj, int) else {"float": repr(obj)}
        if type(obj) in (list, tuple, set, frozenset):
            items = [self.node(v, f"{path}[{i}]") for i, v in enumerate(obj)]
            return {type(obj).__name__: items}
        if isinstance(obj, dict):
            return {"dict": [[self.node(k, path), self.node(v, f"{path}[{k!r}]")] for k, v in obj.items()]}
        if isinstance(obj, np.ndarray):
            return self._array(obj, path)
        if isinstance(obj, np.generic) and not obj.dtype.hasobject:
            item = obj.item()
            return {"scalar": [obj.dtype.str, repr(item) if isinstance(item, float) else self.node(item, path)]}
        if isinstance(obj, np.dtype):
            return {"dtype": obj.str if obj.fields is None else obj.descr}
        if isinstance(obj, np.random.RandomState):
            return {"random_state": self.node(obj.get_state(legacy=True), path)}
        if isinstance(obj, type) or _is_function(obj):
            name = _qualname(obj)
            if not _trusted(name, function=not isinstance(obj, type)):
                raise TypeError(f"{path}: {name} cannot be saved safely (only classes of sklearn-ser, "
                                f"scikit-learn, skorch and torch layers are); save with joblib instead")
            return {"ref": name}
        return self._object(obj, path)

    def _array(self, a, path):
        if a.dtype.hasobject:
            return {"objects": [list(a.shape), [self.node(v, f"{path}[{i}]") for i, v in enumerate(a.ravel())]]}
        buffer = io.BytesIO()
        np.save(buffer, a, allow_pickle=False)
        return {"array": self._file("arrays", ".npy", buffer.getvalue())}

    def _object(self, obj, path):
        name = _qualname(type(obj))
        if not _trusted(name) or name.startswith("torch"):
            raise TypeError(f"{path}: a {name} cannot be saved safely; save with joblib instead")
        # skorch's __getstate__ pickles the torch parts into bytes: a net's own attributes instead
        custom = getattr(type(obj), "__getstate__", object.__getstate__) is not object.__getstate__
        state = obj.__getstate__() if custom and not _is_skorch_net(obj) else vars(obj)
        if not isinstance(state, dict):
            raise TypeError(f"{path}: a {name} has no attribute dictionary to save")
        torch_parts = {}
        if _is_skorch_callback(obj):  # its fitted attributes are training-time state (a scheduler)
            state = {k: v for k, v in state.items() if not k.endswith("_")}
        if _is_skorch_net(obj):
            state, torch_parts = _split_net_state(obj, state)
        node = {"object": name, "state": self.node(dict(state), f"{path}.{type(obj).__name__}")}
        if isinstance(obj, list):  # a list subclass (skorch's History): its items too
            node["items"] = self.node(list(obj), path)
        if torch_parts:
            node["torch"] = {attr: self._state_dict(part) for attr, part in torch_parts.items()}
        return node

    def _state_dict(self, part):
        import torch

        buffer = io.BytesIO()
        torch.save(part.state_dict(), buffer)
        return self._file("torch", ".pt", buffer.getvalue())


def _is_function(obj):
    import types

    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType))


def _is_skorch_callback(obj):
    callbacks = sys.modules.get("skorch.callbacks")
    return callbacks is not None and isinstance(obj, callbacks.Callback)


def _is_skorch_net(obj):
    # no import: an object of skorch's classes exists only once skorch is loaded, and a model
    # without nets should load without paying for torch
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(obj, skorch.NeuralNet)


# A net's torch parts: rebuilt by net.initialize() from its parameters, then given their state dicts.
# refit="average" keeps a second module of the same class, validated_module_
_NET_PARTS = ("module_", "criterion_", "optimizer_", "validated_module_")
# Rebuilt by initialize() from the parameters; callbacks hold training-time state only.
_NET_REBUILT = ("callbacks_", "virtual_params_")


def _split_net_state(net, state):
    """The net's attributes without its torch objects, and the torch objects by attribute."""
    import torch

    plain, parts = {}, {}
    for key, value in state.items():
        if key in _NET_PARTS:
            parts[key] = value
        elif key in _NET_REBUILT:
            continue
        elif isinstance(value, (torch.nn.Module, torch.optim.Optimizer, torch.Tensor)):
            raise TypeError(f"net attribute {key!r} holds a torch object that cannot be saved safely")
        else:
            plain[key] = value
    return plain, parts


class _Reader:
    def __init__(self, archive, where):
        self.archive = archive
        self.where = where

    def _bytes(self, name):
        try:
            return self.archive.read(name)
        except KeyError:
            raise ModelFormatError(self.where, f"refers to {name!r}, which the archive does not hold") from None

    def node(self, node):
        if node is None or isinstance(node, (bool, str, int)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 2, 3, 4):
            raise ModelFormatError(self.where, f"holds a malformed node: {str(node)[:80]}")
        kind = next(iter(node))
        value = node[kind]
        if kind == "float":
            return float(value)
        if kind in ("list", "tuple", "set", "frozenset"):
            return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](map(self.node, value))
        if kind == "dict":
            return {self._key(k): self.node(v) for k, v in value}
        if kind == "array":
            return self._array(value)
        if kind == "objects":
            shape, items = value
            out = np.empty(len(items), dtype=object)
            out[:] = [self.node(v) for v in items]
            return out.reshape(shape)
        if kind == "scalar":
            dtype, item = value
            return np.dtype(dtype).type(float(item) if np.dtype(dtype).kind == "f" else self.node(item))
        if kind == "dtype":
            return np.dtype(value if isinstance(value, str) else [tuple(f) for f in value])
        if kind == "random_state":
            rs = np.random.RandomState()
            rs.set_state(self.node(value))
            return rs
        if kind == "ref":
            return _resolve(value, self.where)
        if kind == "object":
            return self._object(node)
        raise ModelFormatError(self.where, f"holds an unknown node kind {kind!r}")

    def _key(self, key):
        key = self.node(key)
        if isinstance(key, (list, set, dict, np.ndarray)):
            raise ModelFormatError(self.where, "holds a dictionary with an unhashable key")
        return key

    def _array(self, name):
        try:
            return np.load(io.BytesIO(self._bytes(name)), allow_pickle=False)
        except ValueError as exc:
            raise ModelFormatError(self.where, f"{name} is not a plain numeric array ({exc}); "
                                               f"a pickled array is refused") from None

    def _object(self, node):
        cls = _resolve(node["object"], self.where)
        if not isinstance(cls, type) or node["object"].startswith("torch"):
            raise ModelFormatError(self.where, f"asks to build {node['object']!r}, which is not an allowed class")
        state = self.node(node.get("state", {"dict": []}))
        obj = cls.__new__(cls)
        if "items" in node:
            if not isinstance(obj, list):
                raise ModelFormatError(self.where, f"gives items to {node['object']!r}, which is not a list")
            obj.extend(self.node(node["items"]))
        if hasattr(obj, "__setstate__") and not _is_skorch_net(obj):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        if "torch" in node:
            self._restore_net(obj, state, node["torch"])
        return obj

    def _restore_net(self, net, state, parts):
        import torch

        if not _is_skorch_net(net):
            raise ModelFormatError(self.where, "holds torch state for an object that is not a net")
        with torch.random.fork_rng(devices=[]):  # initialising draws weights that are replaced below
            net.initialize()
        net.__dict__.update(state)  # initialize() reset the history and fitted attributes
        for attr, name in parts.items():
            if attr not in _NET_PARTS:
                raise ModelFormatError(self.where, f"holds torch state for {attr!r}, which is not a net part")
            try:
                weights = torch.load(io.BytesIO(self._bytes(name)), weights_only=True, map_location=net.device)
            except Exception as exc:  # the restricted unpickler's refusals come in several types
                raise ModelFormatError(self.where, f"{name} is not a plain state dict ({type(exc).__name__}: "
                                                   f"{str(exc)[:200]}); it is refused") from None
            if attr == "validated_module_":
                if not hasattr(net, "module_from_params"):
                    raise ModelFormatError(self.where, f"holds a second module for a {type(net).__name__}, "
                                                       f"which does not keep one")
                # built as module_ was (only the inferred sizes the module's signature takes), and
                # set around skorch's __setattr__ as the fit sets it, so it is no module to train
                module = net.module_from_params()
                if module is getattr(net, "module_", None):  # a module given as an instance
                    module = copy.deepcopy(module)
                net.__dict__[attr] = module
            getattr(net, attr).load_state_dict(weights)
        for attr in ("module_", "validated_module_"):  # a fitted net's modules predict in eval mode
            if attr in vars(net):
                getattr(net, attr).eval()


def save(model, path):
    """Save a fitted estimator (a Pipeline, a net, a fusion...) to ``path`` in the safe format.

    Raises TypeError, before writing anything, if the model holds an object the format cannot
    describe (a class from another library, a lambda): save such a model with joblib.
    """
    writer = _Writer()
    tree = writer.node(model)
    header = {"format": FORMAT, "version": FORMAT_VERSION, "sklearn_ser": __version__}
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("format.json", json.dumps(header, indent=1))
        archive.writestr("model.json", json.dumps(tree))
        for name, data in writer.files.items():
            archive.writestr(name, data)
    return path


def is_model_archive(path):
    """Whether ``path`` is a file in this format (of any version), judged by its header alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("format.json")).get("format") == FORMAT
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False


def load(path):
    """Load a model saved by :func:`save`, running no code from the file.

    Raises :class:`~sklearn_ser.exceptions.ModelFormatError` naming the file and the problem: not
    an archive of this format, written by a newer format version, naming a class outside the
    allow-list, or carrying a pickle.
    """
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ModelFormatError(where, "no such file") from None
    except IsADirectoryError:
        raise ModelFormatError(where, "is a directory, not a model file") from None
    except zipfile.BadZipFile:
        raise ModelFormatError(where, "is not a sklearn-ser model archive (a joblib or pickle file? "
                                      "load those with joblib.load, only if you trust them)") from None
    with archive:
        try:
            header = json.loads(archive.read("format.json"))
            tree = json.loads(archive.read("model.json"))
        except (KeyError, ValueError) as exc:
            raise ModelFormatError(where, f"is not a sklearn-ser model archive ({exc})") from None
        if header.get("format") != FORMAT:
            raise ModelFormatError(where, f"is a {header.get('format')!r} archive, not a sklearn-ser model")
        version = header.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelFormatError(where, f"was written in model format version {version} by sklearn-ser "
                                          f"{header.get('sklearn_ser')}; this sklearn-ser ({__version__}) "
                                          f"reads versions up to {FORMAT_VERSION}: upgrade sklearn-ser")
        return _Reader(archive, where).node(tree)
