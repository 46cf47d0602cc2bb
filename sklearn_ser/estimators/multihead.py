"""A segment-level net with one output head per target (Wieser et al. 2020: valence and arousal),
trained on a 2-D y and predicting, per utterance, one label per target."""
from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..metrics import check_known_labels
from .net import SegmentNetClassifier, pool_posteriors, rows_into

HEAD_UPDATES = ("alternate", "joint")


class MultiHeadNetClassifier(SegmentNetClassifier):
    """Train a multi-head network on segments (windows) with one label per target, and predict
    each target per utterance by pooling that head's window posteriors.

    The module's ``forward`` returns a tuple of logits, one ``(batch, n_classes)`` tensor per head
    (e.g. :class:`~sklearn_ser.nets.WieserNet`); ``n_classes`` is inferred as a tuple, one entry
    per column of y. As scikit-learn's multi-output classifiers: ``fit(X, Y)`` with ``Y`` of shape
    ``(n_utterances, n_targets)``, ``predict`` returns the same shape, ``predict_proba`` a list of
    ``(n_utterances, n_classes)`` arrays (one per target), ``classes_`` a list of arrays. A 1-D y
    trains a single head and the net behaves as a plain classifier (1-D ``predict``, one array of
    probabilities, ``classes_`` an array).

    Parameters
    ----------
    head_updates : {"alternate", "joint"}, default="alternate"
        "alternate" (the paper): on each batch the heads are updated one after the other, in a
        random order drawn per batch, each step using that head's loss only (its gradient reaches
        the shared layers and that head; the other heads' parameters get no gradient and are left
        untouched, momentum included); every later head's loss is computed on the net the
        earlier steps updated. "joint": one step on the sum of the heads' losses.
    class_weight : None, "balanced" or dict, default=None
        Per head, as :class:`SERNetClassifier`'s (a dict maps each head's labels).
    refit : bool, default=False
        As :class:`SERNetClassifier` (``"average"`` is not available: two nets' tuples of logits
        are not averaged here).
    others : as :class:`~sklearn_ser.estimators.SegmentNetClassifier`

    Scoring: ``score`` is the subset accuracy of ``sklearn.multioutput.MultiOutputClassifier``
    (all targets right); :func:`sklearn_ser.metrics.head_scorer` scores one target (WAR/UAR) in
    ``cross_validate`` or ``GridSearchCV``.
    """

    def __init__(self, module, *args, head_updates="alternate", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.head_updates = head_updates

    # ---- labels ----

    def _check_Y(self, y, n_samples):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        Y = np.asarray(y)
        if Y.ndim not in (1, 2) or (Y.ndim == 2 and Y.shape[1] < 1):
            raise ValueError(f"y must be 1-D or 2-D (n_samples, n_targets), got shape {Y.shape}")
        if len(Y) != n_samples:
            raise ValueError(f"X has {n_samples} samples but y has {len(Y)}")
        return Y if Y.ndim == 2 else Y[:, None]

    def _learn_labels(self, X, y, classes=None):
        X = self._check_X(X, reset=True)
        self.multi_output_ = np.ndim(y) == 2
        Y = self._check_Y(y, len(X))
        if self.refit not in (False, True):
            raise ValueError(f"{type(self).__name__} takes refit=False or True, got {self.refit!r}")
        if self.head_updates not in HEAD_UPDATES:
            raise ValueError(f"head_updates must be one of {HEAD_UPDATES}, got {self.head_updates!r}")
        if self.get_params_for("criterion"):
            raise ValueError(f"{type(self).__name__} computes each head's cross-entropy itself and takes no "
                             f"criterion__ settings ({', '.join(self.get_params_for('criterion'))}); "
                             "class_weight weights each head's classes")
        encoders, weights = [], []
        for h in range(Y.shape[1]):
            column = Y[:, h]
            check_classification_targets(column)
            labels = np.unique(column if classes is None else (classes[h] if self.multi_output_ else classes))
            if len(labels) < 2:
                raise ValueError(f"target {h} holds one class only ({labels[0]!r}); a classifier needs at least 2")
            encoders.append(LabelEncoder().fit(labels))
            weights.append(None if self.class_weight is None else
                           compute_class_weight(self.class_weight, classes=labels, y=column))
        self.label_encoders_ = encoders
        self.label_encoder_ = encoders[0]  # what SERNetClassifier's checks look for
        self.class_weights_ = None  # the base criterion's; the heads' weights are below
        self.head_class_weights_ = weights
        self._inferred_module_params = {"n_classes": tuple(len(e.classes_) for e in encoders),
                                        "n_features": X.shape[-1], "input_shape": X.shape[1:]}
        return X, self._encode(y)

    def _encode(self, y):
        Y = np.asarray(y)
        Y = Y if Y.ndim == 2 else Y[:, None]
        if Y.shape[1] != len(self.label_encoders_):
            raise ValueError(f"y has {Y.shape[1]} targets, but {type(self).__name__} was fitted on "
                             f"{len(self.label_encoders_)}")
        columns = []
        for h, encoder in enumerate(self.label_encoders_):
            check_known_labels(Y[:, h], encoder.classes_)
            columns.append(encoder.transform(Y[:, h]).astype(np.int64))
        return np.stack(columns, axis=1)

    @property
    def classes_(self):
        classes = [e.classes_ for e in self.label_encoders_]
        return classes if self.multi_output_ else classes[0]

    # ---- training ----

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The sum of the heads' cross-entropies (one head's while ``alternate`` updates it)."""
        if isinstance(y_pred, torch.Tensor):
            y_pred = (y_pred,)
        y_true = torch.as_tensor(y_true, device=y_pred[0].device)
        y_true = y_true if y_true.dim() == 2 else y_true[:, None]
        active = getattr(self, "_active_head", None)
        heads = range(len(y_pred)) if active is None else [active]
        loss = 0.0
        for h in heads:
            weight = self.head_class_weights_[h]
            weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32, device=y_pred[h].device)
            loss = loss + torch.nn.functional.cross_entropy(y_pred[h], y_true[:, h], weight=weight)
        return loss

    def train_step(self, batch, **fit_params):
        if self.head_updates == "joint" or len(self.label_encoders_) == 1:
            return super().train_step(batch, **fit_params)
        Xi, yi = unpack_data(batch)
        if self.augment is not None:  # once: every head's step sees the same input, as in the paper
            Xi = self.augment(Xi)
        total, last = 0.0, {}
        for h in torch.randperm(len(self.label_encoders_)).tolist():  # seeded within the fit
            self._active_head = h
            try:
                def step_fn():
                    self._zero_grad_optimizer()  # grads to None: the other heads' parameters are skipped
                    step = NeuralNetClassifier.train_step_single(self, (Xi, yi), **fit_params)
                    self.notify("on_grad_computed", named_parameters=TeeGenerator(self.get_all_learnable_params()),
                                batch=batch, training=True)
                    last.update(loss=step["loss"].detach(), y_pred=tuple(p.detach() for p in step["y_pred"]))
                    return step["loss"]

                self._step_optimizer(step_fn)
            finally:
                del self._active_head
            total = total + last["loss"]
        # the last head's forward (on the net before its own step): no extra pass through batch norm
        return {"loss": total, "y_pred": last["y_pred"]}

    def infer(self, x, groups=None, **fit_params):
        return NeuralNetClassifier.infer(self, x, **fit_params)

    # ---- prediction ----

    def predict_segment_proba(self, X):
        """Per head, the posteriors of every segment: a list (one entry per head) of lists of
        ``(n_segments, n_classes)`` arrays, one per utterance."""
        check_is_fitted(self, "label_encoders_")
        segments, owners = self._stack(X)
        segments = self._check_X(segments, reset=False)
        per_head, start = [None] * len(self.label_encoders_), 0
        for logits in self.forward_iter(segments, training=False):  # gathered as SERNetClassifier's
            logits = (logits,) if isinstance(logits, torch.Tensor) else logits
            for h, head in enumerate(logits):
                per_head[h] = rows_into(per_head[h], torch.softmax(head, dim=-1).cpu().numpy(), start, len(segments))
            start += len(logits[0])
        return [self._per_utterance(p, owners) for p in per_head]

    def predict_proba(self, X):
        pooled = [np.vstack([pool_posteriors(p, self.pooling) for p in head])
                  for head in self.predict_segment_proba(X)]
        return pooled if self.multi_output_ else pooled[0]

    def predict(self, X):
        proba = self.predict_proba(X)
        if not self.multi_output_:
            return self.classes_[proba.argmax(axis=1)]
        return np.stack([classes[p.argmax(axis=1)] for classes, p in zip(self.classes_, proba)], axis=1)

    def score(self, X, y, sample_weight=None):
        """Subset accuracy (every target right), as ``MultiOutputClassifier.score``; plain
        accuracy for a single target."""
        Y = np.asarray(y)
        hit = np.asarray(self.predict(X)) == Y
        hit = hit.all(axis=1) if hit.ndim == 2 else hit
        return float(np.average(hit, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
