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
