"""A deterministic generator of speech-like emotional audio, for demos and for tests anywhere.

Each utterance is a source-filter signal: a glottal pulse train following an F0 contour (declination,
per-syllable accents, jitter and shimmer), shaped by a spectral tilt and by formant resonators that
move from vowel to vowel, cut into syllables with pauses, plus breath and background noise.

Emotion sets the prosody (F0 level and range, speaking rate, energy, tilt, jitter, pauses); the speaker
sets the voice (F0 base, vocal-tract length, own rate and loudness) *and* a personal way of expressing
each emotion, so a classifier has to generalise across speakers, as with real corpora. Utterance-level
variation and noise keep it from being trivial: the handcrafted baseline scores well above chance but
not perfectly under leave-one-speaker-out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

#: Prosody of each emotion, relative to the speaker's neutral voice:
#: F0 factor, F0 range factor, rate factor, energy (dB), tilt (higher = brighter), jitter, pause share.
EMOTION_PROFILES = {
    "neutral": dict(f0=1.00, f0_range=1.0, rate=1.00, energy_db=0.0, tilt=0.0, jitter=0.010, pause=0.15),
    "happy": dict(f0=1.22, f0_range=1.6, rate=1.08, energy_db=3.0, tilt=0.25, jitter=0.012, pause=0.12),
    "sad": dict(f0=0.90, f0_range=0.6, rate=0.80, energy_db=-4.0, tilt=-0.35, jitter=0.020, pause=0.28),
    "angry": dict(f0=1.25, f0_range=1.3, rate=1.12, energy_db=5.0, tilt=0.55, jitter=0.018, pause=0.10),
    "fear": dict(f0=1.35, f0_range=1.1, rate=1.20, energy_db=0.5, tilt=0.10, jitter=0.030, pause=0.20),
    "boredom": dict(f0=0.92, f0_range=0.5, rate=0.88, energy_db=-2.5, tilt=-0.20, jitter=0.012, pause=0.22),
    "disgust": dict(f0=0.97, f0_range=0.9, rate=0.85, energy_db=1.0, tilt=0.10, jitter=0.025, pause=0.25),
    "surprise": dict(f0=1.30, f0_range=1.8, rate=1.05, energy_db=2.0, tilt=0.20, jitter=0.012, pause=0.12),
}
DEFAULT_EMOTIONS = ("neutral", "happy", "sad", "angry")

# Formants (Hz) of a few vowels for an average adult vocal tract; scaled per speaker.
_VOWELS = np.array([
    [730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410],
])
_BANDWIDTHS = np.array([90.0, 110.0, 170.0])


def _resonator(x, freq, bandwidth, sr):
    """Second-order all-pole resonance at ``freq`` with unit gain at DC."""
    r = np.exp(-np.pi * bandwidth / sr)
    theta = 2 * np.pi * freq / sr
    a = [1.0, -2 * r * np.cos(theta), r * r]
    return lfilter([sum(a)], a, x)


def _glottal_source(f0, sr, rng, jitter, shimmer):
    """Pulse train following ``f0`` (Hz per sample) with cycle-to-cycle jitter and shimmer."""
    f0 = f0 * (1 + jitter * rng.standard_normal(len(f0)).cumsum() / np.sqrt(np.arange(1, len(f0) + 1)))
    phase = np.cumsum(f0 / sr)
    cycles = np.floor(phase)
    pulses = np.diff(cycles, prepend=cycles[0]) > 0
    amps = 1 + shimmer * rng.standard_normal(int(pulses.sum()))
    source = np.zeros(len(f0))
    source[pulses] = amps
    # a decaying pulse shape instead of bare impulses (open/closed glottis, roughly)
    return lfilter([1.0], [1.0, -0.9], source) - lfilter([1.0], [1.0, -0.5], source)


def _syllable(n, f0_start, f0_peak, f0_end, vowel, vtl, emo, sr, rng):
    """One voiced syllable of ``n`` samples."""
    t = np.linspace(0, 1, n)
    contour = np.interp(t, [0, 0.4, 1], [f0_start, f0_peak, f0_end])
    voiced = _glottal_source(contour, sr, rng, emo["jitter"], shimmer=0.08)
    # spectral tilt: a one-pole low-pass mixed with a pre-emphasised copy
    brightness = np.clip(0.5 + emo["tilt"], 0.05, 0.95)
    low = lfilter([1 - 0.85], [1, -0.85], voiced)
    high = np.diff(voiced, prepend=0.0)
    shaped = (1 - brightness) * low * 4 + brightness * high
    formants = _VOWELS[vowel] / vtl
    out = np.zeros(n)
    for freq, bw, gain in zip(formants, _BANDWIDTHS, (1.0, 0.6, 0.3)):
        out += gain * _resonator(shaped, min(freq, 0.45 * sr), bw, sr)
    breath = 0.05 * rng.standard_normal(n)
    envelope = np.sin(np.pi * t) ** 0.6
    return (out + breath) * envelope


def synthesize_utterance(emotion, voice, sr=16000, duration=2.0, random_state=None, expression=None):
    """One utterance of ``emotion`` spoken by ``voice`` (a dict from :func:`make_voice`).

    ``expression`` scales this speaker's deviation from neutral per emotion (1 = the profile).
    Returns float32 audio in [-1, 1].
    """
    rng = np.random.default_rng(random_state)
    emo = dict(EMOTION_PROFILES[emotion])
    neutral = EMOTION_PROFILES["neutral"]
    scale = 1.0 if expression is None else expression
    for key in ("f0", "f0_range", "rate", "energy_db", "tilt", "jitter", "pause"):
        emo[key] = neutral[key] + scale * (emo[key] - neutral[key])
    emo = {k: v * rng.normal(1.0, 0.08) if k != "energy_db" else v + rng.normal(0, 1.5)
           for k, v in emo.items()}

    n_total = int(duration * sr)
    audio = np.zeros(n_total)
    f0_base = voice["f0"] * emo["f0"]
    syllable_s = 0.19 / (emo["rate"] * voice["rate"])
    pos = int(rng.uniform(0.05, 0.15) * sr)
    k = 0
    while pos < n_total - int(0.1 * sr):
        n = int(syllable_s * sr * rng.uniform(0.7, 1.3))
        n = min(n, n_total - pos)
        progress = pos / n_total
        declination = 1.0 - 0.15 * progress
        accent = rng.uniform(0.3, 1.0) * voice["f0_range"] * emo["f0_range"]
        f0_start = f0_base * declination * rng.uniform(0.95, 1.05)
        f0_peak = f0_start * (1 + 0.25 * accent)
        f0_end = f0_start * (1 - 0.08 * accent)
        audio[pos : pos + n] = _syllable(
            n, f0_start, f0_peak, f0_end, rng.integers(len(_VOWELS)), voice["vtl"], emo, sr, rng
        )
        pos += n
        if rng.random() < emo["pause"]:
            pos += int(rng.uniform(0.1, 0.35) * sr)
        else:
            pos += int(rng.uniform(0.01, 0.05) * sr)  # consonant-sized gap
        k += 1
    gain_db = voice["level_db"] + emo["energy_db"]
    audio *= 10 ** (gain_db / 20) / (np.abs(audio).max() + 1e-9) * 0.3
    audio += 10 ** (voice["noise_db"] / 20) * rng.standard_normal(n_total)
    peak = np.abs(audio).max()
    if peak > 1.0:
        audio /= peak
    return audio.astype(np.float32)


def make_voice(rng, gender):
    """A random speaker: F0 base, vocal-tract length factor, rate, level, noise floor."""
    female = gender == "female"
    return dict(
        f0=rng.normal(210, 20) if female else rng.normal(115, 12),
        f0_range=rng.uniform(0.7, 1.3),
        vtl=rng.normal(0.87, 0.04) if female else rng.normal(1.0, 0.04),
        rate=rng.uniform(0.85, 1.15),
        level_db=rng.normal(0, 3),
        noise_db=rng.uniform(-50, -38),
    )


def make_synthetic_corpus(
    n_speakers=8,
    n_per_class=10,
    emotions=DEFAULT_EMOTIONS,
    sr=16000,
    duration=(1.5, 3.0),
    random_state=0,
):
    """Generate a small emotional-speech corpus as a DataFrame (DESIGN §1).

    Parameters
    ----------
    n_speakers : int, default=8
        Half female, half male (rounded).
    n_per_class : int, default=10
        Utterances per speaker and emotion.
    emotions : sequence of str, default=("neutral", "happy", "sad", "angry")
        Any of :data:`EMOTION_PROFILES`.
    sr : int, default=16000
    duration : (float, float), default=(1.5, 3.0)
        Utterance length is uniform in this range (seconds).
    random_state : int, default=0
        The same value gives the same corpus, bit for bit.

    Returns
    -------
    DataFrame with columns ``audio`` (float32 waveforms), ``speaker``, ``label``, ``gender``.

    Examples
    --------
    >>> from sklearn_ser.datasets import make_synthetic_corpus
    >>> corpus = make_synthetic_corpus(n_speakers=2, n_per_class=1, random_state=0)
    >>> corpus[["speaker", "label"]].value_counts().size
    8
    """
    unknown = sorted(set(emotions) - set(EMOTION_PROFILES))
    if unknown:
        raise ValueError(f"unknown emotions {unknown}; choose from {sorted(EMOTION_PROFILES)}")
    if n_speakers < 1 or n_per_class < 1:
        raise ValueError("n_speakers and n_per_class must be at least 1")
    rng = np.random.default_rng(random_state)
    rows = []
    for s in range(n_speakers):
        gender = "female" if s % 2 == 0 else "male"
        voice = make_voice(rng, gender)
        # how strongly this speaker expresses each emotion: some barely, some a lot
        expression = {emo: rng.uniform(0.3, 1.2) for emo in emotions}
        speaker = f"spk{s:02d}"
        for emotion in emotions:
            for i in range(n_per_class):
                seed = rng.integers(2**32)
                length = rng.uniform(*duration)
                audio = synthesize_utterance(
                    emotion, voice, sr=sr, duration=length, random_state=seed,
                    expression=expression[emotion],
                )
                rows.append(dict(audio=audio, speaker=speaker, label=emotion, gender=gender))
    return pd.DataFrame(rows)
