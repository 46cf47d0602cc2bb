"""A skorch classifier of variable-length sequences (an utterance's sequence of segment codes):
padded per batch, packed in the network, so an utterance's prediction depends on its own steps only."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from skorch.utils import is_dataset, to_tensor
from sklearn.utils import check_array

from ..features.segments import ragged
from ..nets.latif import LatifLSTM
from .net import SERNetClassifier


def _sequences(X, owner):
    """X as a list of float32 ``(n_steps, n_features)`` arrays: a ragged array (or list) of
    per-utterance stacks, or a dense ``(n_utterances, n_steps, n_features)`` array."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        X = check_array(X, dtype=np.float32, allow_nd=True, input_name="X")
        if X.ndim != 3:
            raise ValueError(f"{owner} expects one (n_steps, n_features) sequence per utterance: a ragged "
                             f"array of them or a 3-D array, got a {X.ndim}-D array of shape {X.shape}")
        return list(X)
    if not hasattr(X, "__len__") or len(X) == 0:
        raise ValueError(f"{owner} got no utterances")
    out = []
    for i, x in enumerate(X):
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or len(x) == 0:
            raise ValueError(f"{owner}: utterance {i} is a {x.shape} array, not a non-empty "
                             f"(n_steps, n_features) sequence")
        out.append(check_array(x, dtype=np.float32, input_name="X"))
    widths = {x.shape[1] for x in out}
    if len(widths) > 1:
        raise ValueError(f"{owner}: the sequences have different numbers of features {sorted(widths)}")
    return out


class SequenceDataset(torch.utils.data.Dataset):
    """Utterances as ``(n_steps, n_features)`` tensors of their own lengths, with their labels."""

    def __init__(self, X, y=None):
        self.X = [torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)) for x in X]
        self.y = None if y is None else np.asarray(y)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], (0 if self.y is None else self.y[i])


def pad_batch(batch):
    """A DataLoader's ``collate_fn``: ``({"X": (batch, longest, n_features) zero-padded at the end,
    "lengths": (batch,)}, y)``."""
    xs, ys = zip(*batch)
    lengths = torch.tensor([len(x) for x in xs], dtype=torch.int64)
    padded = torch.nn.utils.rnn.pad_sequence(xs, batch_first=True)
    return {"X": padded, "lengths": lengths}, torch.as_tensor(np.asarray(ys))


class LatentLSTMClassifier(SERNetClassifier):
    """Latif et al. 2017's classifier: an LSTM over each utterance's sequence of segment codes (the
    output of :class:`~sklearn_ser.estimators.VAEEncoder`, :class:`~sklearn_ser.estimators.CVAEEncoder`
    or :class:`~sklearn_ser.estimators.AEEncoder`), one label per utterance.

    X holds one ``(n_steps, n_features)`` float32 sequence per utterance (a ragged object array, or
    a dense ``(n_utterances, n_steps, n_features)`` array). Batches are padded to their longest
    sequence and the module (default :class:`~sklearn_ser.nets.LatifLSTM`: two LSTM layers, tanh,
    the last valid step -> a dense projection) packs them with their lengths: an utterance's
    prediction does not depend on the other utterances of its batch, nor on padding.

    Everything else is :class:`SERNetClassifier`'s (string labels, early stopping on held-out
    speakers given as ``groups``, ``refit``, ``class_weight``, ``random_state``, skorch's
    parameters), with the paper's training: Adam at ``lr=1e-3``, at most ``max_epochs=20`` epochs
    with early stopping (``patience=5``), and ``batch_size=32`` utterances (unstated in the paper).

    standardize : bool, default=True
        Z-score each input feature with its mean and deviation over all steps of the training
        utterances (``input_mean_``, ``input_scale_``), so that codes of any scale (the
        autoencoder's are unbounded, the VAE's log-variances negative) reach the tanh LSTM alike.
        Not in the paper (see docs/latif.md).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import LatentLSTMClassifier
    >>> from sklearn_ser.features import ragged
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["low", "high"], 20)
    >>> X = ragged([rng.normal(1.0 if label == "high" else -1.0, 1.0, (n, 4)).astype("float32")
    ...             for label, n in zip(y, rng.integers(2, 9, 40))])
    >>> net = LatentLSTMClassifier(module__n_cells=8, max_epochs=30, lr=0.01, verbose=0)
    >>> net = net.fit(X, y, groups=np.tile(np.arange(4), 10))
    >>> bool((net.predict(X) == y).mean() > 0.9)
    True
    """

    def __init__(self, module=LatifLSTM, *args, standardize=True, lr=1e-3, batch_size=32, max_epochs=20,
                 patience=5, **kwargs):
        super().__init__(module, *args, lr=lr, batch_size=batch_size, max_epochs=max_epochs,
                         patience=patience, **kwargs)
        self.standardize = standardize

    def _check_X(self, X, reset):
        sequences = _sequences(X, type(self).__name__)
        width = sequences[0].shape[1]
        if reset:
            self.n_features_in_ = width
            self.input_shape_ = (width,)
            mean, scale = np.zeros(width, np.float32), np.ones(width, np.float32)
            if self.standardize:
                steps = np.concatenate(sequences)
                mean = steps.mean(axis=0, dtype=np.float64).astype(np.float32)
                std = steps.std(axis=0, dtype=np.float64)
                scale = np.where(std > 1e-6, std, 1.0).astype(np.float32)
            self.input_mean_, self.input_scale_ = mean, scale
        elif width != self.n_features_in_:
            raise ValueError(f"X has {width} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        return ragged([(x - self.input_mean_) / self.input_scale_ for x in sequences])

    def _learn_labels(self, X, y, classes=None):
        X, y_encoded = super()._learn_labels(X, y, classes)
        self._inferred_module_params.update(n_features=self.n_features_in_, input_shape=self.input_shape_)
        return X, y_encoded

    def get_dataset(self, X, y=None):
        if is_dataset(X):
            return X
        return SequenceDataset(X, y)

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix in ("iterator_train", "iterator_valid"):
            params.setdefault("collate_fn", pad_batch)
        return params

    def infer(self, x, groups=None, **fit_params):
        validated = getattr(self, "validated_module_", None)
        if validated is None or self.module_.training or not isinstance(x, Mapping):
            return super().infer(x, **fit_params)
        # refit="average" on padded batches: the mean posterior of the two nets, as the parent's
        x = to_tensor(x, device=self.device)
        logits, other = self.module_(**x), validated(**x)
        return torch.logaddexp(logits.log_softmax(-1), other.log_softmax(-1)) - np.log(2)

    def embed(self, X):
        """The module's utterance representation (``module.embed``: the last LSTM layer's state
        at each sequence's last step), one row per utterance."""
        self.check_is_fitted()
        dataset = self.get_dataset(self._check_X(X, reset=False))
        self.module_.eval()
        out = []
        with torch.no_grad():
            for batch, _ in self.get_iterator(dataset, training=False):
                batch = to_tensor(batch, device=self.device)
                out.append(self.module_.embed(**batch).cpu().numpy())
        return np.concatenate(out)
