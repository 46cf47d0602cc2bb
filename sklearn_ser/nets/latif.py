"""Latif et al. 2017's networks, as plain torch modules: the autoencoders that learn a latent code of
each 100 ms log-mel segment (800 values) and the LSTM that classifies an utterance's sequence of
codes.

- :class:`LatifVAE`: encoder 800 -> 512 -> 256 -> a Gaussian layer (posterior mean and log-variance
  of a ``latent_size`` code), the reparameterisation trick ``z = mean + eps * sigma`` while
  training, decoder mirrored (latent -> 256 -> 512 -> 800).
- :class:`LatifAE`: the same shape with the Gaussian layer replaced by a fully-connected one.
- :class:`LatifCVAE`: the VAE with the one-hot label concatenated to the encoder's input (the paper's
  "concatenate the speech frame representation ... with its emotion class label") and to the
  decoder's.
- :class:`LatifLSTM`: two LSTM layers (tanh) over a padded sequence with its lengths (packed, so
  padding never enters the recurrence), the last valid step's hidden state of the second layer ->
  a dense projection to the classes (logits; the softmax is the classifier's).

Hidden layers use ReLU (the paper names no activation); the decoder ends linear, since its inputs
are standardised log-mel values. The autoencoders' training (losses, stopping) lives in
:mod:`sklearn_ser.estimators.autoencoders`; :func:`gaussian_kl` is the VAE's KL term.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


def _mlp(sizes):
    """Linear layers between consecutive ``sizes``, ReLU after each."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


LOGVAR_BOUND = 10.0  # posterior variances within e^-10 .. e^10


def gaussian_kl(mean, logvar):
    """KL divergence of N(mean, exp(logvar)) from N(0, I), summed over the latent axis: ``(batch,)``."""
    return 0.5 * (mean.square() + logvar.exp() - 1.0 - logvar).sum(dim=-1)


class LatifAE(nn.Module):
    """The autoencoder of Latif et al.'s comparison: ``n_features`` -> ``hidden`` (ReLU) -> a dense
    latent layer of ``latent_size`` (linear) -> ``hidden`` reversed (ReLU) -> ``n_features``
    (linear). ``forward(X)`` returns ``(reconstruction, code)``; ``encode(X)`` the code."""

    variational = False

    def __init__(self, n_features=800, hidden=(512, 256), latent_size=128, n_classes=0):
        super().__init__()
        hidden = tuple(hidden)
        self.n_classes = n_classes  # > 0: conditioned on a one-hot label (the CVAE)
        self.encoder = _mlp((n_features + n_classes, *hidden))
        self.latent = nn.Linear(hidden[-1], latent_size * (2 if self.variational else 1))
        self.decoder = nn.Sequential(_mlp((latent_size + n_classes, *hidden[::-1])),
                                     nn.Linear(hidden[0], n_features))
        self.latent_size = latent_size

    def _with(self, X, condition):
        return X if condition is None else torch.cat([X, condition], dim=-1)

    def encode(self, X, condition=None):
        return self.latent(self.encoder(self._with(X, condition)))

    def decode(self, Z, condition=None):
        return self.decoder(self._with(Z, condition))

    def forward(self, X):
        code = self.encode(X)
        return self.decode(code), code


class LatifVAE(LatifAE):
    """Latif et al.'s VAE: :class:`LatifAE`'s shape with a Gaussian latent layer.
    ``encode(X)`` returns the posterior ``(mean, logvar)``; ``forward(X)`` returns
    ``(reconstruction, mean, logvar)``, decoding a sample ``mean + eps * exp(logvar / 2)``
    (eps ~ N(0, I) from torch's generator) in training mode and the mean in eval mode."""

    variational = True

    def encode(self, X, condition=None):
        mean, logvar = super().encode(X, condition).chunk(2, dim=-1)
        # bounded, so exp(logvar) in the loss and the sample cannot overflow to inf and then NaN
        return mean, logvar.clamp(-LOGVAR_BOUND, LOGVAR_BOUND)

    def sample(self, mean, logvar):
        if not self.training:
            return mean
        return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)

    def forward(self, X):
        mean, logvar = self.encode(X)
        return self.decode(self.sample(mean, logvar)), mean, logvar


class LatifCVAE(LatifVAE):
    """Latif et al.'s conditional VAE: :class:`LatifVAE` with the one-hot label ``condition``
    ``(batch, n_classes)`` concatenated to the input of the encoder and of the decoder.
    ``forward(X, condition)`` returns ``(reconstruction, mean, logvar)``."""

    def __init__(self, n_features=800, n_classes=4, hidden=(512, 256), latent_size=128):
        if n_classes < 1:
            raise ValueError(f"a conditional VAE needs n_classes >= 1, got {n_classes}")
        super().__init__(n_features, hidden, latent_size, n_classes)

    def forward(self, X, condition):
        mean, logvar = self.encode(X, condition)
        return self.decode(self.sample(mean, logvar), condition), mean, logvar


class LatifLSTM(nn.Module):
    """Latif et al.'s classifier: ``n_layers`` LSTM layers of ``n_cells`` (tanh) over a sequence of
    latent codes, the hidden state of the last layer at each sequence's last valid step, then
    (``n_hidden`` > 0) a dense tanh layer, and a dense projection to ``n_classes`` logits.

    ``forward(X, lengths)``: ``X`` ``(batch, steps, n_features)`` padded at the end, ``lengths``
    ``(batch,)`` the valid steps of each row (all ``steps`` if None). The rows are packed, so a
    row's logits depend on its own valid steps only: never on padding, nor on the other rows of
    the batch.
    """

    def __init__(self, n_classes=4, n_features=128, n_cells=128, n_layers=2, n_hidden=0, dropout=0.0):
        super().__init__()
        self.lstm = nn.LSTM(n_features, n_cells, num_layers=n_layers, batch_first=True,
                            dropout=dropout if n_layers > 1 else 0.0)
        self.hidden = nn.Sequential(nn.Linear(n_cells, n_hidden), nn.Tanh()) if n_hidden else nn.Identity()
        self.output = nn.Linear(n_hidden or n_cells, n_classes)

    def embed(self, X, lengths=None):
        """The utterance representation fed to the projection: ``(batch, n_hidden or n_cells)``."""
        if lengths is None:
            lengths = torch.full((X.shape[0],), X.shape[1], dtype=torch.int64)
        packed = pack_padded_sequence(X, torch.as_tensor(lengths).cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.lstm(packed)  # h: (n_layers, batch, n_cells) in the batch's own order
        return self.hidden(h[-1])

    def forward(self, X, lengths=None):
        return self.output(self.embed(X, lengths))
