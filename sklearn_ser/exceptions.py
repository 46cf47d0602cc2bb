"""Errors raised on bad input, each naming the utterance and the problem."""


class InvalidUtteranceError(ValueError):
    """An utterance (file or waveform) that cannot be used, with the reason.

    Attributes
    ----------
    utterance : str
        The file path, or the row / position of an in-memory waveform.
    problem : str
        What is wrong with it.
    """

    def __init__(self, utterance, problem):
        self.utterance = str(utterance)
        self.problem = problem
        super().__init__(f"{self.utterance}: {problem}")

    def __reduce__(self):  # keep the two fields when joblib ships the error between processes
        return (type(self), (self.utterance, self.problem))


class ModelFormatError(ValueError):
    """A model file that :func:`sklearn_ser.load` refuses, with the reason (not an archive of
    the format, a newer format version, a class outside the allow-list, a pickle inside).

    Attributes
    ----------
    path : str
        The model file.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


class OutlierWarning(UserWarning):
    """Utterances far outside the distribution a model was trained on (noise, silence with an
    offset, a click, audio at the wrong scale), whose predictions should not be trusted.

    Attributes
    ----------
    utterances : list of str
        The flagged utterances, named as :class:`InvalidUtteranceError` names them.
    """

    def __init__(self, utterances):
        self.utterances = list(utterances)
        shown = ", ".join(self.utterances[:5]) + (f" and {len(self.utterances) - 5} more" if len(self.utterances) > 5 else "")
        super().__init__(f"{len(self.utterances)} utterance(s) far outside the training data, predictions "
                         f"not to be trusted: {shown}")

    def __reduce__(self):
        return (type(self), (self.utterances,))


class OutlierUtteranceError(ValueError):
    """Raised instead of :class:`OutlierWarning` by a model set to ``novelty__on_outlier="raise"``."""

    def __init__(self, utterances):
        self.utterances = list(utterances)
        super().__init__(str(OutlierWarning(self.utterances)))

    def __reduce__(self):
        return (type(self), (self.utterances,))
