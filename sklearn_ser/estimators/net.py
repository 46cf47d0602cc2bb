"""skorch classifiers for the networks, with speaker-disjoint early stopping (DESIGN §1, §4)."""
from __future__ import annotations

import contextlib
import copy
import inspect
import math
import numbers
import warnings

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.dataset import get_len, unpack_data
from skorch.utils import to_numpy, to_tensor
from sklearn import get_config
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metadata_routing import UNUSED, get_routing_for_object
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..metrics import check_known_labels
from ..model_selection.validation import SpeakerValidSplit


REFITS = (False, True, "average")


class _EarlyStoppingIfValidated(EarlyStopping):
    """skorch's EarlyStopping that stands aside when a fit has no validation split."""

    def on_epoch_end(self, net, **kwargs):
        if "valid_loss" in net.history[-1]:
            super().on_epoch_end(net, **kwargs)


def torch_seed(random_state, *keys):
    """An int seed for torch from a ``random_state``: the int itself (so that ``random_state=k``
    seeds as ``torch.manual_seed(k)`` does), else a draw from the RandomState (numpy's global one
    for None), as scikit-learn's estimators draw theirs. ``keys`` (ints) derive further seeds."""
    if isinstance(random_state, numbers.Integral):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0]) if keys else seed


@contextlib.contextmanager
def seeded_torch(seed, device="cpu"):
    """Torch's global generator seeded with ``seed`` inside the block and put back as it was after
    it: initialisation, dropout and the DataLoader's shuffle draw from that generator, and no code
    outside the block sees their draws. (Not for concurrent fits in threads of one process, which
    share that generator.)"""
    device = torch.device(device)
    cuda = [torch.cuda.current_device() if device.index is None else device.index] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def best_epoch(history):
    """The epoch (1-based) with the lowest validation loss, or None if the fit had no validation."""
    best = [row["epoch"] for row in history if row.get("valid_loss_best")]
    return best[-1] if best else None


def rows_into(out, batch, start, n_rows):
    """``out`` (made at the first batch: ``n_rows`` rows shaped as ``batch``'s) with ``batch``
    copied in at row ``start``: a prediction's batches gathered as they come, none of them kept."""
    if out is None:
        out = np.empty((n_rows,) + batch.shape[1:], dtype=batch.dtype)
    out[start:start + len(batch)] = batch
    return out


class SERNetClassifier(NeuralNetClassifier):
    """A skorch classifier for a SER network: string labels, probabilities per utterance, and early
    stopping on a speaker-disjoint validation split.

    The module ends in logits (DESIGN §2): the loss is ``torch.nn.CrossEntropyLoss`` and
    ``predict_proba`` is their softmax.

    Speakers reach the split through ``fit(X, y, groups=speakers)``, by either of scikit-learn's
    paths: without metadata routing, ``pipe.fit(X, y, net__groups=speakers)`` in a Pipeline and
    ``params={"net__groups": speakers}`` in ``cross_validate`` (sliced per fold); with
    ``sklearn.set_config(enable_metadata_routing=True)``, ``groups`` passed to ``cross_validate``
    (``params={"groups": speakers}``), ``GridSearchCV.fit`` or a Pipeline reach the net with no
    ``set_fit_request`` needed: its validation splitter requests them, as scikit-learn's group
    splitters do. :func:`~sklearn_ser.model_selection.evaluate` passes them itself. The module's
    ``forward`` never sees them. Without speakers the net trains for ``max_epochs`` with no
    validation split (and warns), rather than validate on speakers it also trains on.

    Parameters are skorch's (``module__*``, ``optimizer__*``, ``iterator_train__*``, ``device``,
    ``callbacks``...), with the defaults of Kim et al. 2017: Adam, ``lr=3e-3``, ``batch_size=128``,
    ``max_epochs=20``, and training batches reshuffled every epoch (``iterator_train__shuffle=True``,
    seeded by ``random_state``); plus

    train_split : callable or None, default=SpeakerValidSplit(0.2)
        skorch's ``train_split``. A :class:`~sklearn_ser.model_selection.SpeakerValidSplit`
        without a ``random_state`` of its own draws the held-out speakers from the net's.
    patience : int, default=5
        Epochs without improvement of the validation loss before stopping (best weights kept).
    class_weight : None, "balanced" or dict {label: weight}, default=None
        Weights of the classes in the training loss, as in sklearn's classifiers: "balanced"
        weights each class by ``n_samples / (n_classes * its count)`` among the samples the loss
        sees (segments, for segment-level nets), which aims the training at UA rather than WA.
        Ignored when ``criterion__weight`` is set.
    augment : callable or None, default=None
        Applied to the inputs of every training batch (never to validation or prediction), e.g.
        :class:`~sklearn_ser.estimators.FrequencyWarp`; it must keep the labels valid.
    refit : bool or "average", default=False
        After early stopping, train a fresh net (same seed) on all the training speakers, the
        validation ones included, for the number of epochs that was best on validation
        (``refit_epochs_``; the early-stopped run's history stays in ``validation_history_``).
        Costs about a second fit; gives the net every training speaker, which matters when a
        corpus has few. ``"average"`` also keeps the early-stopped net (``validated_module_``)
        and predicts the mean of the two nets' posteriors: a two-member ensemble at no extra
        training cost, twice the inference. Without a validation split it changes nothing.
    random_state : int, RandomState or None, default=0
        Seeds the initialisation, the shuffling, dropout, ``augment`` and the speakers held out
        for validation, so a fit is repeatable. Torch's global generator is seeded only for the
        duration of a fit and restored after it: fitting a net changes no other draw.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import SERNetClassifier
    >>> from sklearn_ser.nets import FrameDNN
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 32)).astype("float32")
    >>> y = np.where(X[:, 0] > 0, "happy", "sad")
    >>> net = SERNetClassifier(FrameDNN, batch_size=32, verbose=0)  # n_classes, n_features inferred
    >>> net = net.fit(X, y, groups=np.repeat(np.arange(10), 20))
    >>> net.classes_.tolist(), bool((net.predict(X) == y).mean() > 0.9)
    (['happy', 'sad'], True)
    """

    # under metadata routing the speakers go to the split's splitter (skorch's router adds it),
    # which requests them as group splitters do; the net's own forward takes none
    __metadata_request__fit = {"groups": UNUSED}
    __metadata_request__partial_fit = {"groups": UNUSED}

    def __init__(self, module, *args, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
                 lr=3e-3, batch_size=128, max_epochs=20, train_split=SpeakerValidSplit(0.2),
                 patience=5, class_weight=None, augment=None, refit=False, random_state=0, **kwargs):
        # skorch's DataLoader keeps the data's order; corpora come sorted by speaker and segments
        # by utterance, so unshuffled batches would hold one speaker or one label each
        kwargs.setdefault("iterator_train__shuffle", True)
        super().__init__(module, *args, criterion=criterion, optimizer=optimizer, lr=lr,
                         batch_size=batch_size, max_epochs=max_epochs, train_split=train_split,
                         **kwargs)
        self.patience = patience
        self.class_weight = class_weight
        self.augment = augment
        self.refit = refit
        self.random_state = random_state

    def get_default_callbacks(self):
        # valid_acc would score encoded labels against our string predictions: the loss decides
        kept = [(name, cb) for name, cb in super().get_default_callbacks() if name != "valid_acc"]
        return kept + [
            ("early_stopping", _EarlyStoppingIfValidated(patience=self.patience, load_best=True)),
        ]

    def initialize_module(self):
        """Fill ``n_classes``, ``n_features`` and ``input_shape`` of the module from the data,
        unless set."""
        self.module_ = self.module_from_params()
        return self

    def module_from_params(self):
        """A module built as :meth:`initialize_module` builds ``module_``: the ``module__``
        parameters, plus the sizes inferred from the data (``n_classes``, ``n_features``,
        ``input_shape``) that the module's signature accepts. Loading a ``refit="average"`` net
        builds its second module (``validated_module_``) with it too."""
        kwargs = self.get_params_for("module")
        accepted = inspect.signature(self.module).parameters if isinstance(self.module, type) else {}
        inferred = getattr(self, "_inferred_module_params", {})
        kwargs = {**{k: v for k, v in inferred.items() if k in accepted}, **kwargs}
        return self.initialized_instance(self.module, kwargs)

    def initialize_criterion(self):
        """skorch's criterion, given the fitted class weights (``class_weight``) unless the caller
        set ``criterion__weight``."""
        kwargs = self.get_params_for("criterion")
        weights = getattr(self, "class_weights_", None)
        if weights is not None and "weight" not in kwargs:
            kwargs["weight"] = torch.as_tensor(weights, dtype=torch.float32)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if y_pred.ndim == 3:  # logits per step: every step learns its utterance's label
            steps = y_pred.shape[1]
            y_pred, y_true = y_pred.reshape(-1, y_pred.shape[-1]), y_true.repeat_interleave(steps)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def train_step_single(self, batch, **fit_params):
        # skorch runs this on training batches only: validation and prediction see the data as is
        if self.augment is not None:
            Xi, yi = unpack_data(batch)
            batch = (self.augment(Xi), yi)
        return super().train_step_single(batch, **fit_params)

    def get_iterator(self, dataset, training=False):
        """skorch's iterator, except that a training set one sample past a whole number of batches
        drops its last batch: a batch of one breaks BatchNorm ("Expected more than 1 value per
        channel") and, shuffled, it is a different sample each epoch."""
        if not training:
            return super().get_iterator(dataset, training=False)
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.setdefault("batch_size", self.batch_size)
        if batch_size == -1:
            kwargs["batch_size"] = batch_size = len(dataset)
        if len(dataset) > batch_size and len(dataset) % batch_size == 1:
            kwargs.setdefault("drop_last", True)
        return self.iterator_train(dataset, **kwargs)

    def get_split_datasets(self, X, y=None, groups=None, **fit_params):
        """skorch's split, seeded from ``random_state`` (see ``train_split``); none while
        refitting, and none, with a warning, without speakers."""
        if not self.train_split or getattr(self, "_refitting", False):
            return self.get_dataset(X, y), None
        if groups is None:
            warnings.warn(
                "no speakers given (fit(X, y, groups=speakers)): training without a validation "
                "split or early stopping, since a random split would validate on training speakers",
                UserWarning, stacklevel=6,
            )
            return self.get_dataset(X, y), None
        split = self.train_split
        if isinstance(split, SpeakerValidSplit) and split.random_state is None:
            split = split.with_random_state(torch_seed(self.random_state))
        dataset = self.get_dataset(X, y)
        return split(dataset, y, groups=groups, **fit_params)

    def _check_X(self, X, reset):
        X = check_array(X, dtype=np.float32, allow_nd=True, accept_sparse=False)
        if reset:
            self.n_features_in_ = X.shape[1]
            self.input_shape_ = X.shape[1:]
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input (sample shape "
                             f"{X.shape[1:]}, fitted on {self.input_shape_})")
        return X

    def _learn_labels(self, X, y, classes=None):
        """Check X and y, learn the labels (``classes`` if given), the class weights and the
        module's sizes; return X as float32 and y encoded."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X = self._check_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
        labels = np.unique(y if classes is None else classes)
        if len(labels) < 2:
            raise ValueError(f"y holds one class only ({labels[0]!r}); a classifier needs at least 2")
        self.label_encoder_ = LabelEncoder().fit(labels)
        self.class_weights_ = (None if self.class_weight is None else compute_class_weight(
            self.class_weight, classes=self.label_encoder_.classes_, y=y))
        self._inferred_module_params = {"n_classes": len(labels), "n_features": X.shape[-1],
                                        "input_shape": X.shape[1:]}
        return X, self._encode(y)

    def _encode(self, y):
        y = column_or_1d(y, warn=True)
        check_known_labels(y, self.classes_)
        return self.label_encoder_.transform(y).astype(np.int64)

    def _train(self, X, y_encoded, groups=None, **fit_params):
        """skorch's training loop on encoded labels; the speakers go in as a fit parameter, so
        that skorch hands them to ``train_split`` (routed to its splitter under metadata routing)."""
        speakers = {} if groups is None else {"groups": np.asarray(groups)}
        if speakers and get_config()["enable_metadata_routing"] and not self._split_takes_groups():
            speakers = {}  # nothing to route them to (no split, or one that takes none)
        return super().partial_fit(X, y_encoded, **speakers, **fit_params)

    def _split_takes_groups(self):
        return get_routing_for_object(self).consumes("fit", ["groups"]) != set()

    def fit(self, X, y, groups=None, **fit_params):
        """Train a fresh net (labels, module sizes and class weights from X and y), early-stopped
        on the speakers of ``groups`` held out for validation; then refit if ``refit``."""
        X, y_encoded = self._learn_labels(X, y)
        if self.refit not in REFITS:
            raise ValueError(f"refit must be one of {REFITS}, got {self.refit!r}")
        for stale in ("validation_history_", "refit_epochs_", "validated_module_"):  # an earlier refit's
            self.__dict__.pop(stale, None)
        seed = torch_seed(self.random_state)
        with seeded_torch(seed, self.device):
            if not self.warm_start or not self.initialized_:
                self.initialize()
            # skorch's own fit passes _routing_method="fit" too: routing then reads fit's requests
            self._train(X, y_encoded, groups, _routing_method="fit", **fit_params)
            epochs = best_epoch(self.history)
            if self.refit and epochs is not None:
                self._refit(X, y_encoded, epochs, seed, **fit_params)
        return self

    def partial_fit(self, X, y, classes=None, groups=None, **fit_params):
        """Train ``max_epochs`` more epochs from the current weights (skorch's warm start).

        A net never fitted first learns the labels, from ``classes`` if given (every label later
        calls may bring) else from ``y``, and sizes its module, as :meth:`fit` does. Later calls
        take the same labels (an unseen one is an error) and samples of the same shape. Each
        call draws its shuffling and dropout from ``random_state`` and the epochs trained so far.
        """
        fresh = not (self.initialized_ and hasattr(self, "label_encoder_"))
        if fresh:
            X, y_encoded = self._learn_labels(X, y, classes)
        else:
            X, y_encoded = self._check_X(X, reset=False), self._encode(y)
        seed = torch_seed(self.random_state, *([] if fresh else [len(self.history)]))
        with seeded_torch(seed, self.device):
            if fresh:
                self.initialize()
            self._train(X, y_encoded, groups, **fit_params)
        return self

    def _refit(self, X, y_encoded, epochs, seed, **fit_params):
        # a fresh net on every training speaker for the validated number of epochs: no
        # validation split, so no early stopping; the test speakers are never seen either way
        self.validation_history_ = copy.deepcopy(self.history)  # initialize() clears it in place
        self.refit_epochs_ = epochs
        # a copy: a module given as an instance would otherwise be retrained in place
        validated = copy.deepcopy(self.module_).eval() if self.refit == "average" else None
        torch.manual_seed(seed)  # inside the fit's seeded block: the same start as the first run
        self._refitting = True
        try:
            self.initialize()
            self._train(X, y_encoded, epochs=epochs, **fit_params)
        finally:
            del self._refitting
        if validated is not None:  # set after training, so the refit's own steps never see it
            # around skorch's __setattr__, which would make it a module to train; but saved like
            # module_, so a net fitted on a GPU loads on a CPU
            self.__dict__["validated_module_"] = validated
            if "validated_module_" not in self.cuda_dependent_attributes_:
                self.cuda_dependent_attributes_ = [*self.cuda_dependent_attributes_, "validated_module_"]

    def infer(self, x, groups=None, **fit_params):
        # skorch hands every fit parameter to forward as well; the speakers are the split's only
        logits = super().infer(x, **fit_params)
        validated = getattr(self, "validated_module_", None)
        if validated is None or self.module_.training:
            return logits
        # refit="average": the logits of the two nets' mean posterior, log((p + q) / 2), whose
        # softmax (predict_proba) is that mean: posteriors average, logits would not
        other = validated(to_tensor(x, device=self.device), **fit_params)
        return torch.logaddexp(logits.log_softmax(-1), other.log_softmax(-1)) - math.log(2)

    @property
    def classes_(self):
        return self.label_encoder_.classes_

    def predict_proba(self, X):
        check_is_fitted(self, "label_encoder_")
        X = self._check_X(X, reset=False)
        # skorch's keeps every batch's posteriors and concatenates them: those small arrays, kept
        # between each batch's large freed buffers, fragment glibc's heap (on 1.6 M frames it grew
        # by 700 MB of free memory). Copied into one array made up front, they are freed at once.
        nonlin = self._get_predict_nonlinearity()
        proba, start, n_rows = None, 0, get_len(X)
        for out in self.forward_iter(X, training=False):
            out = to_numpy(nonlin(out[0] if isinstance(out, tuple) else out))
            proba = rows_into(proba, out, start, n_rows)
            start += len(out)
        return super().predict_proba(X) if proba is None else proba  # nothing to predict: skorch's error

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def embed(self, X):
        """Activations of the module's top hidden layer (``module.embed``), one row per input
        (the refitted net's under ``refit="average"``: two nets' features do not average)."""
        self.check_is_fitted()
        X = torch.as_tensor(np.asarray(X, dtype=np.float32), device=self.device)
        self.module_.eval()
        with torch.no_grad():
            return np.concatenate([self.module_.embed(batch).cpu().numpy()
                                   for batch in torch.split(X, self.batch_size)])


class SERStepNetClassifier(SERNetClassifier):
    """A :class:`SERNetClassifier` for networks that output logits per step or segment
    ``(batch, steps, n_classes)`` (Kim's 3D-CNN-DNN-ELM network, an LSTM over frames): every step
    is trained on its utterance's label. :meth:`predict_segment_proba` returns the steps'
    posteriors (softmax of the logits) for :class:`~sklearn_ser.ensemble.FunctionalsELM`;
    ``predict_proba`` averages them over the steps of an utterance.
    """

    def predict_segment_proba(self, X):
        """Posteriors of every step, ``(n_utterances, steps, n_classes)``."""
        return SERNetClassifier.predict_proba(self, X)

    def predict_proba(self, X):
        return self.predict_segment_proba(X).mean(axis=1)


POOLINGS = ("mean", "max", "vote")


def pool_posteriors(posteriors, pooling="mean"):
    """One utterance's segment posteriors ``(n_segments, K)`` -> ``(K,)``: average pooling (the
    papers'), the per-class maximum renormalised, or the share of segment votes."""
    p = np.asarray(posteriors)
    if pooling == "mean":
        return p.mean(axis=0)
    if pooling == "max":
        top = p.max(axis=0)
        return top / top.sum()
    if pooling == "vote":
        return np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


class SegmentNetClassifier(SERNetClassifier):
    """Train a network on segments, predict per utterance (DESIGN §1).

    X holds one stack of segments per utterance (a ragged object array from a segmenting
    transformer such as :class:`~sklearn_ser.features.ZhangMelSegments`, or a dense
    ``(n_utterances, n_segments, ...)`` array). Every segment is trained on its utterance's label,
    with its speaker for the speaker-disjoint early stopping; ``predict_proba`` pools the segment
    posteriors (softmax of the module's logits) of each utterance (``pooling``), so it has one row
    per utterance. A module that outputs logits per step (an LSTM over frames) has its steps
    treated as segments too.

    Parameters
    ----------
    pooling : {"mean", "max", "vote"}, default="mean"
    others : as :class:`SERNetClassifier`
    """

    def __init__(self, module, *args, pooling="mean", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.pooling = pooling

    @staticmethod
    def _stack(X):
        from ..features.segments import stack_segments

        if isinstance(X, np.ndarray) and X.dtype != object:
            return X.reshape((-1,) + X.shape[2:]), np.repeat(np.arange(len(X)), X.shape[1])
        return stack_segments(X)

    @staticmethod
    def _per_utterance(rows, owners):
        """Rows of the stacked segments (a row per step if ``rows`` is 3-D: every step counts as
        a segment) split into one array per utterance."""
        if rows.ndim == 3:
            owners = np.repeat(owners, rows.shape[1])
            rows = rows.reshape(-1, rows.shape[-1])
        return np.split(rows, np.searchsorted(owners, np.arange(1, owners[-1] + 1)))

    def _segments(self, X, y, groups):
        """The stacked segments, each with its utterance's label and speaker."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        segments, owners = self._stack(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} utterances but y has {len(y)}")
        return segments, y[owners], None if groups is None else np.asarray(groups)[owners]

    def fit(self, X, y, groups=None, **fit_params):
        segments, y, groups = self._segments(X, y, groups)
        return super().fit(segments, y, groups=groups, **fit_params)

    def partial_fit(self, X, y, classes=None, groups=None, **fit_params):
        segments, y, groups = self._segments(X, y, groups)
        return super().partial_fit(segments, y, classes=classes, groups=groups, **fit_params)

    def predict_segment_proba(self, X):
        """Posteriors of every segment (and step), one ``(n, K)`` array per utterance."""
        segments, owners = self._stack(X)
        return self._per_utterance(SERNetClassifier.predict_proba(self, segments), owners)

    def predict_proba(self, X):
        return np.vstack([pool_posteriors(p, self.pooling) for p in self.predict_segment_proba(X)])

    def embed_utterances(self, X):
        """The top hidden layer averaged over each utterance's segments, ``(n_utterances, n_hidden)``
        (Zhang et al.'s utterance features for feature-level fusion)."""
        segments, owners = self._stack(X)
        return np.vstack([rows.mean(axis=0) for rows in self._per_utterance(self.embed(segments), owners)])
