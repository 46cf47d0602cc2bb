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
