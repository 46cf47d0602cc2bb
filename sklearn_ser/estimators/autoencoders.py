"""Latif et al. 2017's autoencoders as scikit-learn transformers: each learns, without labels (the
CVAE with them), a latent code of 100 ms log-mel segments and maps every utterance's segment stack
to its sequence of codes.

Input is the library's segment convention (DESIGN §1): a ragged 1-D object array holding one
``(n_segments, ...)`` float32 stack per utterance (from :class:`~sklearn_ser.features.LatifLogMelSegments`)
gives a ragged array of ``(n_segments, n_outputs)`` codes, one stack per utterance; a dense
``(n_rows, n_features)`` array is a stack of segments and gives one code per row (a dense
``(n_utterances, n_segments, ...)`` array, one ``(n_segments, n_outputs)`` block per utterance).

The encoders are plain scikit-learn estimators that keep their fitted weights as numpy arrays
(``weights_``), so that :func:`sklearn_ser.save` stores them like any other fitted array: a skorch
net is built around a supervised loss on ``y``, where these learn from ``X`` alone and stop on
their own training reconstruction error (the paper's threshold).
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._disk import blocks, on_disk, take, write_rows
from ..features.scaling import mean_std
from ..features.segments import ragged, stack_segments

OUTPUTS = ("mean", "mean_logvar")
CONDITIONS = ("marginal", "zeros", "predicted")
_TRANSFORM_BATCH = 4096  # segments encoded at once: bounded memory for long inputs



# the gradient norm of a batch's mean loss is clipped to this (see the training loop)
MAX_GRAD_NORM = 100.0

def _is_stack_list(X):
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1 and len(X) > 0 and isinstance(X[0], np.ndarray)
    return isinstance(X, (list, tuple)) and len(X) > 0 and isinstance(X[0], np.ndarray) and X[0].ndim >= 2


class _Segments:
    """The segments of X as one float32 ``(n_segments, n_features)`` array, the utterance of each,
    and how to give a per-segment result back in X's layout."""

    def __init__(self, X, owner):
        if _is_stack_list(X):
            stacks = []
            for i, x in enumerate(X):
                x = np.asarray(x, dtype=np.float32)
                if x.ndim < 2 or len(x) == 0:
                    raise ValueError(f"{owner}: utterance {i} holds a {x.shape} array; each utterance "
                                     f"must be a non-empty stack (n_segments, n_features)")
                stacks.append(x.reshape(len(x), -1))
            widths = {s.shape[1] for s in stacks}
            if len(widths) > 1:
                raise ValueError(f"{owner}: the utterances' segments have different sizes {sorted(widths)}")
            self.kind, self.lengths = "ragged", np.array([len(s) for s in stacks])
            # on disk if the stacks are (a view of their file when in order): they may exceed the memory
            self.rows = check_array(stack_segments(stacks)[0], dtype=np.float32, input_name="X")
        else:
            X = check_array(X, dtype=np.float32, allow_nd=True, input_name="X")
            self.kind, self.shape = ("rows" if X.ndim == 2 else "utterances"), X.shape
            self.rows = X.reshape(-1, int(np.prod(X.shape[2:]))) if X.ndim > 2 else X
            self.lengths = np.ones(len(X), dtype=int) if X.ndim == 2 else np.full(len(X), X.shape[1])
        self.n_utterances = len(self.lengths)

    def per_segment(self, y):
        """Labels of the utterances (or rows) repeated for each of their segments."""
        y = column_or_1d(y, warn=True)
        if len(y) != self.n_utterances:
            raise ValueError(f"X has {self.n_utterances} utterances but y has {len(y)} labels")
        return np.repeat(y, self.lengths)

    def restore(self, out):
        if self.kind == "rows":
            return out
        if self.kind == "utterances":
            return out.reshape(self.shape[0], self.shape[1], -1)
        return ragged(np.split(out, np.cumsum(self.lengths)[:-1]))


class _LatentEncoder(TransformerMixin, BaseEstimator):
    """What the three autoencoders share: input scaling, the training loop, the stopping rule and
    the weights as arrays. Subclasses set ``_net`` (a class of :mod:`sklearn_ser.nets.latif`) and
    ``_variational``."""

    _net = None
    _variational = True
    _conditional = False

    def __init__(self, latent_size=128, hidden=(512, 256), lr=1e-3, betas=(0.999, 0.99), eps=1e-8,
                 batch_size=256, max_epochs=40, tol=0.0, random_state=0, device="cpu", verbose=0):
        self.latent_size = latent_size
        self.hidden = hidden
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ---- fit ----

    def _check_params(self):
        if not (isinstance(self.latent_size, (int, np.integer)) and self.latent_size >= 1):
            raise ValueError(f"latent_size must be a positive int, got {self.latent_size!r}")
        if not (isinstance(self.max_epochs, (int, np.integer)) and self.max_epochs >= 1):
            raise ValueError(f"max_epochs must be a positive int, got {self.max_epochs!r}")
        if getattr(self, "output", "mean") not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")

    def fit(self, X, y=None):
        """Learn the input scaling and train the autoencoder on every segment of X until the
        training reconstruction error (mean squared error per standardised input value) falls
        below ``tol`` or for ``max_epochs`` epochs (``n_epochs_``)."""
        import torch

        from .net import seeded_torch, torch_seed

        self._check_params()
        segments = _Segments(X, type(self).__name__)
        rows = segments.rows
        conditions = self._fit_conditions(segments, y)
        self.n_features_in_ = rows.shape[1]
        if on_disk(rows):  # a block at a time
            mean, std = mean_std(lambda: blocks(rows))
        else:
            mean, std = rows.mean(axis=0, dtype=np.float64), rows.std(axis=0, dtype=np.float64)
        self.mean_ = mean.astype(np.float32)
        self.scale_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        scaled = self._scale(rows)
        self._fit_scaled(scaled)
        self.module_params_ = self._module_params()
        device = torch.device(self.device)
        with seeded_torch(torch_seed(self.random_state), device):
            module = self._net(**self.module_params_).to(device)
            optimizer = torch.optim.Adam(module.parameters(), lr=self.lr, betas=tuple(self.betas), eps=self.eps)
            data = torch.from_numpy(scaled).to(device)
            condition = None if conditions is None else torch.from_numpy(conditions).to(device)
            self.reconstruction_curve_, self.loss_curve_ = [], []
            self.converged_ = False
            module.train()
            for epoch in range(1, self.max_epochs + 1):
                start = time.perf_counter()
                loss_sum = squares = 0.0
                for index in torch.randperm(len(data), device=device).split(self.batch_size):
                    batch = data[index]
                    extra = () if condition is None else (condition[index],)
                    out = module(batch, *extra)
                    error = (out[0] - batch).square().sum(dim=-1)
                    loss = error + (self._kl(*out[1:]) if self._variational else 0.0)
                    optimizer.zero_grad()
                    loss.mean().backward()
                    # Adam with beta1 0.999 > sqrt(beta2 0.99) has unbounded steps: clipping keeps them sane
                    torch.nn.utils.clip_grad_norm_(module.parameters(), MAX_GRAD_NORM)
                    optimizer.step()
                    loss_sum += float(loss.detach().sum())
                    squares += float(error.detach().sum())
                if not np.isfinite(loss_sum):
                    raise FloatingPointError(f"{type(self).__name__}: the training loss diverged at epoch {epoch} "
                                             f"(try a smaller lr, or betas=(0.9, 0.999))")
                self.loss_curve_.append(loss_sum / len(data))
                self.reconstruction_curve_.append(squares / data.numel())
                if self.verbose:
                    print(f"{type(self).__name__} epoch {epoch}: loss {self.loss_curve_[-1]:.3f}, "
                          f"reconstruction error {self.reconstruction_curve_[-1]:.4f} "
                          f"({time.perf_counter() - start:.1f} s)", flush=True)
                if self.reconstruction_curve_[-1] < self.tol:
                    self.converged_ = True
                    break
            self.n_epochs_ = epoch
        self.weights_ = {name: value.detach().cpu().numpy().copy() for name, value in module.state_dict().items()}
        return self

    @staticmethod
    def _kl(mean, logvar):
        from ..nets.latif import gaussian_kl

        return gaussian_kl(mean, logvar)

    def _fit_conditions(self, segments, y):
        return None

    def _fit_scaled(self, scaled):
        pass

    def _module_params(self):
        return dict(n_features=self.n_features_in_, hidden=tuple(self.hidden), latent_size=self.latent_size)

    def _scale(self, rows):
        """The rows standardised; on disk, a block at a time, if they are."""
        if on_disk(rows):
            return write_rows(map(self._scale_block, blocks(rows)))[0]
        return self._scale_block(rows)

    def _scale_block(self, rows):
        return ((rows - self.mean_) / self.scale_).astype(np.float32, copy=False)

    # ---- transform ----

    def _module(self):
        """The fitted network, rebuilt from ``weights_``, in eval mode on ``device``."""
        import torch

        module = self._net(**self.module_params_)
        module.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in self.weights_.items()})
        return module.to(torch.device(self.device)).eval()

    def transform(self, X):
        """Each segment's code: per utterance ``(n_segments, n_outputs)`` (see the class)."""
        check_is_fitted(self, "weights_")
        return self._transform(_Segments(X, type(self).__name__))

    def _transform(self, segments, posteriors=None):
        """The codes of ``segments``; ``posteriors`` (one row per segment), if given, replace the
        auxiliary classifier's under the CVAE's ``condition="predicted"``."""
        self._check_params()
        out = [self._encode(module, batch, scaled, None if posteriors is None else posteriors[rows])
               for module, rows, batch, scaled in self._batches(segments)]
        return segments.restore(np.concatenate(out).astype(np.float32, copy=False))

    def _batches(self, segments):
        """The fitted module and, batch by batch, the rows' slice, the scaled rows as a tensor on
        ``device`` and as an array, under ``torch.no_grad``; after checking the feature count."""
        import torch

        if segments.rows.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {segments.rows.shape[1]} features, but "
                             f"{type(self).__name__} is expecting {self.n_features_in_} features as input")
        scaled = self._scale(segments.rows)
        module = self._module()
        device = torch.device(self.device)
        with torch.no_grad():
            for start in range(0, len(scaled), _TRANSFORM_BATCH):
                rows = slice(start, start + _TRANSFORM_BATCH)
                yield module, rows, torch.from_numpy(scaled[rows]).to(device), scaled[rows]

    def _encode(self, module, batch, rows, posteriors=None):
        mean, logvar = module.encode(batch)
        return self._output(mean, logvar)

    def reconstruct(self, X, y=None):
        """Each segment decoded from its code, in X's units and layout: what the code keeps of the
        segment (for inspection: the VAEs decode the posterior mean, not a sample). ``y`` (one label
        per utterance) matters only to the CVAE, which then encodes and decodes under the true
        label; without it, under its label-free ``condition``."""
        import torch

        check_is_fitted(self, "weights_")
        segments = _Segments(X, type(self).__name__)
        conditions = self._label_conditions(segments, y)
        out = []
        for module, rows, batch, scaled in self._batches(segments):
            given = None if conditions is None else torch.from_numpy(conditions[rows]).to(batch.device)
            code, condition = self._code_for_decoding(module, batch, scaled, given)
            out.append(module.decode(code, condition).cpu().numpy())
        return segments.restore((np.concatenate(out) * self.scale_ + self.mean_).astype(np.float32, copy=False))

    def _label_conditions(self, segments, y):
        return None

    def _code_for_decoding(self, module, batch, rows, condition):
        """(code, decoder condition) of ``batch``: the posterior mean, no condition."""
        code = module.encode(batch)
        return (code if not self._variational else code[0]), None

    def _output(self, mean, logvar):
        import torch

        out = mean if self.output == "mean" else torch.cat([mean, logvar], dim=-1)
        return out.cpu().numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # codes are float32 (DESIGN §4)
        tags.non_deterministic = False  # seeded by random_state
        return tags


_PARAMETERS = """
    Parameters
    ----------
    latent_size : int, default=128
        Size of the latent code (the paper: 128; its Fig. 2 sweeps 32 ... 512).
    hidden : tuple of int, default=(512, 256)
        Widths of the encoder's hidden layers (the decoder's, reversed).
    lr, betas, eps : default=1e-3, (0.999, 0.99), 1e-8
        Adam's settings, as the paper states them (beta1 0.999 is unusually high; see docs/latif.md).
    batch_size : int, default=256
        Segments per step (an EmoDB fold holds about 13 000).
    max_epochs : int, default=40
        Epochs at most over all training segments.
    tol : float, default=0.0
        The paper's threshold: training stops after the first epoch whose reconstruction error
        (mean squared error per standardised input value, averaged over the epoch's batches) is
        below it. 0 trains for ``max_epochs``.
    random_state : int, RandomState or None, default=0
        Seeds the initialisation, the shuffling (and the VAEs' sampling); torch's global generator
        is restored after fit.
    device : str, default="cpu"
    verbose : int, default=0
        Print each epoch's loss, reconstruction error and time.

    Attributes
    ----------
    mean_, scale_ : ndarray (n_features,)
        The input scaling learned at fit (per input value, over all training segments).
    weights_ : dict of ndarray
        The network's state dict as arrays.
    n_epochs_ : int
        Epochs trained; ``converged_`` says whether ``tol`` stopped them.
    reconstruction_curve_, loss_curve_ : list of float
        Per epoch: the reconstruction error, and the training objective per segment (squared error
        summed over the segment's values, plus the KL term of the VAEs).
"""


class AEEncoder(_LatentEncoder):
    __doc__ = """Latif et al. 2017's autoencoder (:class:`~sklearn_ser.nets.LatifAE`): 800 -> 512
    -> 256 -> a dense latent layer -> mirrored decoder, trained to reconstruct the standardised
    segments (squared error). ``transform`` gives each segment's code.
    """ + _PARAMETERS + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import AEEncoder
    >>> from sklearn_ser.features import ragged
    >>> rng = np.random.default_rng(0)
    >>> X = ragged([rng.standard_normal((n, 800)).astype("float32") for n in (5, 3)])
    >>> codes = AEEncoder(latent_size=8, hidden=(32, 16), max_epochs=2).fit_transform(X)
    >>> [c.shape for c in codes]
    [(5, 8), (3, 8)]
    """

    _variational = False

    @property
    def _net(self):
        from ..nets.latif import LatifAE

        return LatifAE

    def _encode(self, module, batch, rows, posteriors=None):
        return module.encode(batch).cpu().numpy()


class VAEEncoder(_LatentEncoder):
    __doc__ = """Latif et al. 2017's variational autoencoder (:class:`~sklearn_ser.nets.LatifVAE`):
    800 -> 512 -> 256 -> a Gaussian latent layer (mean and log-variance, the reparameterisation
    trick), decoder mirrored; trained on squared reconstruction error plus the KL divergence from
    N(0, I) (the paper's Eq. 2). ``transform`` gives each segment's posterior mean, or with
    ``output="mean_logvar"`` its mean and log-variance side by side (``2 * latent_size``: the
    paper's "parameters of the distribution").

    output : {"mean", "mean_logvar"}, default="mean"
    """ + _PARAMETERS + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import VAEEncoder
    >>> X = np.random.default_rng(0).standard_normal((50, 800)).astype("float32")  # 50 segments
    >>> VAEEncoder(latent_size=8, hidden=(32, 16), max_epochs=2, output="mean_logvar").fit_transform(X).shape
    (50, 16)
    """

    def __init__(self, latent_size=128, hidden=(512, 256), output="mean", lr=1e-3, betas=(0.999, 0.99),
                 eps=1e-8, batch_size=256, max_epochs=40, tol=0.0, random_state=0, device="cpu", verbose=0):
        super().__init__(latent_size=latent_size, hidden=hidden, lr=lr, betas=betas, eps=eps,
                         batch_size=batch_size, max_epochs=max_epochs, tol=tol, random_state=random_state,
                         device=device, verbose=verbose)
        self.output = output

    @property
    def _net(self):
        from ..nets.latif import LatifVAE

        return LatifVAE


class CVAEEncoder(_LatentEncoder):
    __doc__ = """Latif et al. 2017's conditional VAE (:class:`~sklearn_ser.nets.LatifCVAE`): the VAE
    with the one-hot emotion label concatenated to the encoder's and the decoder's input while it
    trains (``fit(X, y)``, y one label per utterance, given to each of its segments).

    A test utterance has no label, and ``transform`` never takes one. ``condition`` says what the
    encoder is given in its place:

    - ``"marginal"`` (default): the segment is encoded under every training class and the
      posteriors are mixed with the classes' training shares p(c), as a moment-matched Gaussian
      (the mixture's mean, and its variance with ``output="mean_logvar"``): an approximation of
      the label-free posterior, whose weights would be p(c | segment), that takes the label to be
      independent of the segment;
    - ``"zeros"``: an all-zero condition vector (no class; a vector never seen in training);
    - ``"predicted"``: the mixture weighted by the class posteriors (an estimate of p(c | segment))
      of an auxiliary classifier of segments (``auxiliary``, default logistic regression) fitted at
      ``fit`` on the training segments and labels only (``auxiliary_``); fitted only when
      ``condition="predicted"`` at fit.
      The training codes of ``fit_transform`` (a Pipeline's) are cross-fitted instead: each
      utterance's posteriors come from an auxiliary classifier fitted without it (``cv`` folds of
      utterances, or of speakers given ``groups``; see :meth:`fit_transform`).

    output : {"mean", "mean_logvar"}, default="mean"
    condition : {"marginal", "zeros", "predicted"}, default="marginal"
    auxiliary : classifier or None, default=None
        The segment classifier of ``condition="predicted"`` (cloned); None is
        ``LogisticRegression(max_iter=500)``.
    cv : int, default=5
        Folds of the cross-fitted training codes under ``condition="predicted"`` (at most one per
        utterance, or speaker); the folds are drawn from ``random_state``.
    """ + _PARAMETERS + """
    classes_ : ndarray
        The training labels, in the order of the one-hot condition.
    class_prior_ : ndarray
        Their shares among the training segments (the weights of ``"marginal"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.estimators import CVAEEncoder
    >>> X = np.random.default_rng(0).standard_normal((40, 800)).astype("float32")
    >>> y = np.repeat(["angry", "sad"], 20)
    >>> cvae = CVAEEncoder(latent_size=8, hidden=(32, 16), max_epochs=2).fit(X, y)
    >>> cvae.transform(X).shape, cvae.classes_.tolist()
    ((40, 8), ['angry', 'sad'])
    """

    _conditional = True

    def __init__(self, latent_size=128, hidden=(512, 256), output="mean", condition="marginal",
                 auxiliary=None, cv=5, lr=1e-3, betas=(0.999, 0.99), eps=1e-8, batch_size=256, max_epochs=40,
                 tol=0.0, random_state=0, device="cpu", verbose=0):
        super().__init__(latent_size=latent_size, hidden=hidden, lr=lr, betas=betas, eps=eps,
                         batch_size=batch_size, max_epochs=max_epochs, tol=tol, random_state=random_state,
                         device=device, verbose=verbose)
        self.output = output
        self.condition = condition
        self.auxiliary = auxiliary
        self.cv = cv

    @property
    def _net(self):
        from ..nets.latif import LatifCVAE

        return LatifCVAE

    def _check_params(self):
        super()._check_params()
        if self.condition not in CONDITIONS:
            raise ValueError(f"condition must be one of {CONDITIONS}, got {self.condition!r}")

    def _fit_conditions(self, segments, y):
        if y is None:
            raise ValueError("CVAEEncoder requires y to be passed, but the target y is None: its "
                             "encoder and decoder are conditioned on the training labels")
        labels = segments.per_segment(y)
        check_classification_targets(labels)
        self.classes_, encoded, counts = np.unique(labels, return_inverse=True, return_counts=True)
        self.class_prior_ = counts / counts.sum()
        self._labels = labels  # for the auxiliary classifier, once the scaling is learnt
        return np.eye(len(self.classes_), dtype=np.float32)[encoded]

    def _fit_scaled(self, scaled):
        labels = self.__dict__.pop("_labels")
        self.__dict__.pop("auxiliary_", None)
        if self.condition == "predicted":
            self.auxiliary_ = self._new_auxiliary().fit(scaled, labels)

    def _new_auxiliary(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=500) if self.auxiliary is None else clone(self.auxiliary)

    def _posteriors(self, auxiliary, rows):
        """``auxiliary``'s class posteriors of ``rows`` as ``(n_rows, len(classes_))``: a class it
        never saw gets 0."""
        proba = auxiliary.predict_proba(rows)  # columns in auxiliary.classes_ order
        full = np.zeros((len(rows), len(self.classes_)), dtype=np.float32)
        full[:, np.searchsorted(self.classes_, auxiliary.classes_)] = proba
        return full

    def fit_transform(self, X, y=None, groups=None):
        """``fit(X, y)``, then the training segments' codes.

        Under ``condition="predicted"`` these are cross-fitted: the training segments are split
        into ``cv`` folds of whole utterances (of whole speakers if ``groups``, one speaker per
        utterance, is given), and each fold is encoded with the posteriors of an auxiliary
        classifier fitted on the other folds only, so that the codes a downstream classifier
        trains on are as uncertain as those of unseen utterances (``auxiliary_``, fitted on all
        of them, would score its own training segments). ``transform`` after ``fit`` uses
        ``auxiliary_``; the other conditions give ``fit(X, y).transform(X)``.
        """
        self.fit(X, y)
        segments = _Segments(X, type(self).__name__)
        if self.condition != "predicted":
            return self._transform(segments)
        return self._transform(segments, self._cross_fitted_posteriors(segments, y, groups))

    def _cross_fitted_posteriors(self, segments, y, groups):
        from .net import torch_seed

        if not (isinstance(self.cv, (int, np.integer)) and self.cv >= 2):
            raise ValueError(f"cv must be an int >= 2, got {self.cv!r}")
        labels = segments.per_segment(y)
        if groups is None:
            units = np.repeat(np.arange(segments.n_utterances), segments.lengths)
        else:
            groups = column_or_1d(groups, warn=True)
            if len(groups) != segments.n_utterances:
                raise ValueError(f"X has {segments.n_utterances} utterances but groups has {len(groups)} speakers")
            units = np.repeat(groups, segments.lengths)
        unique, unit_of = np.unique(units, return_inverse=True)
        if len(unique) < 2:
            raise ValueError("condition='predicted' cross-fits the training codes over speakers (or "
                             "utterances): fit_transform needs at least 2 of them")
        # the units in a random order, dealt round-robin into folds
        order = np.random.default_rng(torch_seed(self.random_state, 1)).permutation(len(unique))
        fold_of_unit = np.empty(len(unique), dtype=int)
        fold_of_unit[order] = np.arange(len(unique)) % min(self.cv, len(unique))
        folds = fold_of_unit[unit_of]
        scaled = self._scale(segments.rows)
        posteriors = np.zeros((len(scaled), len(self.classes_)), dtype=np.float32)
        for fold in np.unique(folds):
            test, train = folds == fold, folds != fold
            seen = np.unique(labels[train])
            if len(seen) == 1:  # the other folds hold one class: it is all a classifier could say
                posteriors[test, np.searchsorted(self.classes_, seen[0])] = 1.0
            else:
                # take: a fold of segments on disk stays there (a file of its own)
                posteriors[test] = self._posteriors(self._new_auxiliary().fit(take(scaled, train), labels[train]),
                                                    take(scaled, test))
        return posteriors

    def _module_params(self):
        return dict(super()._module_params(), n_classes=len(self.classes_))

    def _label_conditions(self, segments, y):
        if y is None:
            return None
        labels = segments.per_segment(y)
        unknown = sorted(set(map(str, labels)) - set(map(str, self.classes_)))
        if unknown:
            raise ValueError(f"labels {unknown} were not among the training classes {list(self.classes_)}")
        return np.eye(len(self.classes_), dtype=np.float32)[np.searchsorted(self.classes_, labels)]

    def _code_for_decoding(self, module, batch, rows, condition):
        """Under a given one-hot label: its posterior mean and the label. Without one: the
        label-free code of ``condition`` (the mixture's mean) decoded under the same class weights
        (all zeros for ``"zeros"``)."""
        import torch

        if condition is not None:
            return module.encode(batch, condition)[0], condition
        weights = self._condition_weights(batch, rows, None)
        code = torch.from_numpy(self._encode(module, batch, rows)[:, :self.latent_size]).to(batch.device)
        return code, weights

    def _condition_weights(self, batch, rows, posteriors):
        """The class weights of the label-free encoding, ``(batch, n_classes)``."""
        import torch

        K = len(self.classes_)
        if self.condition == "zeros":
            return torch.zeros(len(batch), K, device=batch.device)
        if self.condition == "marginal":
            return torch.as_tensor(self.class_prior_, dtype=torch.float32, device=batch.device).expand(len(batch), K)
        if posteriors is None:
            if getattr(self, "auxiliary_", None) is None:
                raise ValueError("condition='predicted' needs the auxiliary classifier, which is fitted "
                                 "only when the encoder is fitted with condition='predicted'")
            posteriors = self._posteriors(self.auxiliary_, rows)
        return torch.from_numpy(np.asarray(posteriors, dtype=np.float32)).to(batch.device)

    def _encode(self, module, batch, rows, posteriors=None):
        import torch

        K = len(self.classes_)
        weights = self._condition_weights(batch, rows, posteriors)
        if self.condition == "zeros":
            return self._output(*module.encode(batch, weights))
        eye = torch.eye(K, device=batch.device)
        means, variances = [], []
        for k in range(K):
            mean_k, logvar_k = module.encode(batch, eye[k].expand(len(batch), K))
            means.append(mean_k)
            variances.append(logvar_k.exp())
        means, variances = torch.stack(means, dim=1), torch.stack(variances, dim=1)  # (batch, K, latent)
        w = weights.unsqueeze(-1)
        mean = (w * means).sum(dim=1)
        variance = (w * (variances + means.square())).sum(dim=1) - mean.square()
        return self._output(mean, variance.clamp_min(1e-12).log())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
