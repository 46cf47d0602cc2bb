import numpy as np
import pytest

from sklearn_ser.features import KimSpectrogramVolumes, ZhangMelClips, ZhangMelSegments, ZhangRawSegments
from sklearn_ser.inspection import confusion_percent, plot_representation


def _png(path):
    data = path.read_bytes()
    assert data[:4] == b"\x89PNG"
    return len(data)


def test_plot_every_layout(tmp_path):
    y = np.random.default_rng(0).uniform(-0.5, 0.5, 32000).astype(np.float32)
    reps = {
        "waveform": (y, None),
        "segments": (ZhangRawSegments(sr=16000).fit_transform([y])[0], "waveform"),
        "image": (np.random.default_rng(1).standard_normal((100, 160)), None),
        "maps": (KimSpectrogramVolumes(gain_norm=None).fit_transform([y])[0], None),
        "channels": (ZhangMelSegments().fit_transform([y])[0], None),
        "clips": (ZhangMelClips().fit_transform([y])[0], None),
    }
    sizes = {name: _png(plot_representation(rep, tmp_path / f"{name}.png", kind=kind))
             for name, (rep, kind) in reps.items()}
    assert all(size > 5000 for size in sizes.values())  # a drawn figure, not an empty canvas


def test_plot_refuses_unknown_layout(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        plot_representation(np.zeros((2,) * 6), tmp_path / "x.png")


def test_confusion_percent_rows_sum_to_100():
    import pandas as pd

    cm = pd.DataFrame([[8, 2], [0, 0]], index=["a", "b"], columns=["a", "b"])
    pct = confusion_percent(cm)
    assert pct.loc["a"].tolist() == [80.0, 20.0] and pct.loc["b"].tolist() == [0.0, 0.0]


def test_tsne_separates_separable_classes_and_plots(tmp_path):
    from sklearn_ser.inspection import plot_embedding, tsne_embedding

    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b"], 30)
    features = rng.standard_normal((60, 20)) + np.where(labels == "a", 5.0, -5.0)[:, None]
    points = tsne_embedding(features)
    centre_a, centre_b = points[labels == "a"].mean(0), points[labels == "b"].mean(0)
    spread = points[labels == "a"].std(0).max()
    assert np.linalg.norm(centre_a - centre_b) > 2 * spread
    assert _png(plot_embedding(features, labels, tmp_path / "tsne.png")) > 5000


def test_reconstructions_of_an_utterance_s_log_mel_are_drawn_with_their_errors(tmp_path):
    from sklearn.pipeline import make_pipeline

    from sklearn_ser.estimators import AEEncoder, CVAEEncoder
    from sklearn_ser.features import LatifLogMelSegments
    from sklearn_ser.inspection import plot_reconstruction, reconstruction_errors, unfold_segments

    rng = np.random.default_rng(0)
    waves = [rng.uniform(-0.5, 0.5, 8000).astype(np.float32) for _ in range(4)]
    segments = LatifLogMelSegments().fit_transform(waves)
    stacked = LatifLogMelSegments(flatten=False).fit_transform(waves[:1])[0]   # (segments, 10, 80)
    np.testing.assert_array_equal(unfold_segments(segments[0]), stacked.reshape(-1, 80))  # frames in order
    toy = dict(latent_size=4, hidden=(32, 16), max_epochs=2)
    ae = AEEncoder(**toy).fit(segments)
    cvae = make_pipeline(CVAEEncoder(**toy)).fit(segments, ["a", "b", "a", "b"])  # a Pipeline holding one
    errors = reconstruction_errors({"AE": ae, "CVAE": cvae}, segments[0])
    assert set(errors) == {"AE", "CVAE"} and all(e > 0 for e in errors.values())
    path = plot_reconstruction({"AE": ae, "CVAE": cvae}, segments[0], tmp_path / "r.png", y="a", title="x")
    assert _png(path) > 5000
    with pytest.raises(ValueError, match=r"\(n_segments, frames \* 80\)"):
        unfold_segments(np.zeros((3, 81)))
    with pytest.raises(TypeError, match="no autoencoder"):
        plot_reconstruction({"x": make_pipeline()}, segments[0], tmp_path / "x.png")
