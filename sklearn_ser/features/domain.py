"""Recording domains for normalisation from unlabelled target audio (``domain_norm=True``).

Per-speaker standardisation assumes a speaker's utterances span several emotions; where a
speaker's utterances do not (one emotion per speaker, a corpus of two actors), it erases the
emotion. A *domain* is a wider group that shares a recording set-up: a corpus, a room, a
microphone, a call centre. A feature step with ``domain_norm=True`` z-scores an utterance with the
statistics of its domain's utterances, from unlabelled audio only, with the same sources and
fallback as the speaker case (:mod:`.speaker`): an enrolled domain, else at least
``min_utterances`` utterances of the domain in the call, else the training population.

The domain of an utterance is the ``domain`` column of a DataFrame X, else its ``corpus`` column
(as :func:`sklearn_ser.datasets.combine_corpora` writes it), else the call: all utterances of one
``transform`` / ``predict`` call without such a column are one domain.
"""
from __future__ import annotations

import warnings

import numpy as np

from .speaker import known_speakers

#: the columns of X that name an utterance's domain, the first one present wins
DOMAIN_COLUMNS = ("domain", "corpus")
#: the domain of utterances whose X names none: the call they came in
WHOLE_CALL = "(this call)"


def domain_column(meta):
    """The first of :data:`DOMAIN_COLUMNS` that the DataFrame ``meta`` has, else None."""
    if meta is None:
        return None
    return next((c for c in DOMAIN_COLUMNS if c in meta.columns), None)


def domains_of(meta, n):
    """Domain of each of ``n`` utterances (``meta``: X as a DataFrame, or None) as an object array
    of strings: the domain column's values (None where missing, so those fall back), or
    :data:`WHOLE_CALL` for all when X has no such column.

    Examples
    --------
    >>> import pandas as pd
    >>> domains_of(pd.DataFrame({"audio": ["a", "b"], "corpus": ["emodb", "tess"]}), 2).tolist()
    ['emodb', 'tess']
    >>> domains_of(None, 2).tolist()
    ['(this call)', '(this call)']
    """
    column = domain_column(meta)
    if column is None:
        return np.full(n, WHOLE_CALL, dtype=object)
    return known_speakers(meta[column].to_numpy(), n)  # strings; None where missing


def warn_domain_fallback(domains, min_utterances):
    """One warning per call naming the domains whose utterances fell back to the population."""
    if not domains:
        return
    named = sorted({"no domain" if d is None else str(d) for d in domains})
    shown = ", ".join(map(repr, named[:10])) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
    warnings.warn(f"per-domain normalisation: domain(s) {shown} with fewer than min_utterances={min_utterances} "
                  "utterances in this call and not enrolled: z-scored with the training population's statistics "
                  "(enroll unlabelled audio of the domain first, with a 'domain' or 'corpus' column: "
                  "sklearn_ser.enroll)", UserWarning, stacklevel=4)
