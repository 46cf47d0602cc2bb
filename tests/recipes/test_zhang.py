"""Zhang et al.'s recipes end to end on synthetic audio: segment CNNs, their fusions, persistence.
(Whether they learn is benchmarked on EmoDB, benchmarks/accuracy.py.)"""
import numpy as np
import pytest
import torch

from sklearn_ser.ensemble import FeatureFusionClassifier, ScoreFusionClassifier
from sklearn_ser.nets import Zhang1DCNN, Zhang3DCNN, ZhangAlexNet
from sklearn_ser.recipes import get_system, zhang_cnn, zhang_fusion


def test_zhang_recipes_use_their_nets_and_inputs():
    assert get_system("zhang-1d").named_steps["net"].module is Zhang1DCNN
    assert "scale" not in get_system("zhang-1d").named_steps  # raw segments are already scaled
    two_d = get_system("zhang-2d")
    assert two_d.named_steps["net"].module is ZhangAlexNet and two_d.named_steps["scale"].axis == 1
    assert "module__input_size" not in get_system("zhang-2d").named_steps["net"].get_params()  # 227
    assert get_system("zhang-2d-small").named_steps["net"].get_params()["module__input_size"] is None
    assert get_system("zhang-3d").named_steps["net"].module is Zhang3DCNN
    # the paper's 1e-3 for the 3D CNN; AlexNet (no batch normalisation) and the 1D CNN overshoot there
    assert [get_system(f"zhang-{k}").named_steps["net"].lr for k in ("1d", "2d", "2d-small", "3d")] == [
        1e-4, 1e-4, 1e-4, 1e-3]
    assert zhang_cnn("2d", lr=5e-5).named_steps["net"].lr == 5e-5  # overrides win
    assert isinstance(get_system("zhang-score-fusion"), ScoreFusionClassifier)
    fusion = get_system("zhang-feature-fusion")
    assert isinstance(fusion, FeatureFusionClassifier)
    assert [name for name, _ in fusion.estimators] == ["1d", "2d-small", "3d"]
    with pytest.raises(ValueError, match="kind must be one of"):
        zhang_cnn("4d")
    with pytest.raises(ValueError, match="AlexNet kinds"):
        zhang_cnn("3d", pretrained="weights.pt")
    with pytest.raises(ValueError, match="level must be"):
        zhang_fusion("model")


def test_pretrained_alexnet_recipe_fine_tunes_from_the_checkpoint(tmp_path, small_corpus, torchvision_alexnet_state):
    state = torchvision_alexnet_state(n_hidden=64)  # torchvision's layout, small FC layers
    torch.save(state, tmp_path / "alexnet.pt")
    pipe = zhang_cnn("2d-small", pretrained=tmp_path / "alexnet.pt", max_epochs=1, verbose=0)
    speakers = small_corpus["speaker"].to_numpy()
    pipe.fit(small_corpus, small_corpus["label"], net__groups=speakers)
    net = pipe.named_steps["net"].module_
    assert net.features[0].out_channels == 64 and net.classifier[-1].out_features == 4
    # one epoch of fine-tuning moved the weights away from the checkpoint, starting from it
    moved = (net.features[0].weight.detach() - state["features.0.weight"]).abs().max()
    assert 0 < moved < 0.1


def test_score_fusion_of_zhang_nets_round_trips_in_a_new_process(small_corpus, tmp_path, round_trip_in_new_process):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    members = [(kind, zhang_cnn(kind, max_epochs=1, verbose=0)) for kind in ("2d-small", "3d")]
    fusion = ScoreFusionClassifier(members, cv=2)
    round_trip_in_new_process(fusion, train, test, tmp_path)
    assert np.isclose(fusion.weights_.sum(), 1) and len(fusion.estimators_) == 2


def test_feature_fusion_of_zhang_nets_concatenates_their_top_layers(small_corpus):
    members = [(kind, zhang_cnn(kind, max_epochs=1, verbose=0)) for kind in ("1d", "3d")]
    fusion = FeatureFusionClassifier(members).fit(small_corpus, small_corpus["label"])
    assert fusion.fused_features(small_corpus.iloc[:5]).shape == (5, 1024 + 256)


def test_fusion_members_take_the_same_net_settings():
    fusion = get_system("zhang-score-fusion", members=["2d-small", "3d"], member_params={"max_epochs": 1})
    assert [m.named_steps["net"].max_epochs for _, m in fusion.estimators] == [1, 1]
    with pytest.raises(TypeError, match="max_epoch"):
        get_system("zhang-feature-fusion", member_params={"max_epoch": 1})
