"""Zhang et al. 2021's CNNs follow Tables 1-3; AlexNet loads ImageNet weights in torchvision's layout."""
import pytest
import torch

from sklearn_ser.nets import Zhang1DCNN, Zhang3DCNN, ZhangAlexNet, count_parameters


def _layers(module, kinds):
    return [m for m in module.modules() if isinstance(m, kinds)]


def test_1d_cnn_follows_table_1_and_its_last_convolution_is_fully_connected():
    net = Zhang1DCNN(n_classes=7).eval()
    convs = _layers(net, torch.nn.Conv1d)
    assert [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (32, 6, 1), (32, 5, 1), (64, 5, 1), (64, 4, 1)]
    assert [p.kernel_size for p in _layers(net, torch.nn.MaxPool1d)] == [5, 5, 5]
    assert len(_layers(net, torch.nn.BatchNorm1d)) == 4
    # 625 -> 620 -> 124 -> 120 -> 24 -> 20 -> 4 -> 1: Conv4 sees its whole input
    maps = net.features[:-1](torch.zeros(2, 1, 625))
    assert maps.shape == (2, 64, 1) and net.flat_features == 64
    assert [m.out_features for m in _layers(net, torch.nn.Linear)] == [2048, 1024, 7]
    assert net(torch.randn(3, 625)).shape == (3, 7) and net.embed(torch.randn(3, 625)).shape == (3, 1024)


def test_1d_cnn_refuses_segments_too_short_for_its_layers():
    with pytest.raises(ValueError, match="too short"):
        Zhang1DCNN(n_features=200)


def test_alexnet_follows_table_2_and_resizes_to_227():
    net = ZhangAlexNet(n_classes=7).eval()
    convs = _layers(net, torch.nn.Conv2d)
    assert [(c.out_channels, c.kernel_size) for c in convs] == [
        (96, (11, 11)), (256, (5, 5)), (384, (3, 3)), (384, (3, 3)), (256, (3, 3))]
    assert [p.kernel_size for p in _layers(net, torch.nn.MaxPool2d)] == [3, 3, 3]
    assert [m.out_features for m in _layers(net, torch.nn.Linear)] == [4096, 4096, 7]
    x = torch.randn(2, 3, 64, 64)
    assert net._resized(x).shape == (2, 3, 227, 227)
    assert net.features(net._resized(x)).shape == (2, 256, 6, 6)  # 9216 inputs to FC6, as AlexNet
    assert net(x).shape == (2, 7) and net.embed(x).shape == (2, 4096)


def test_small_alexnet_skips_the_resize():
    net = ZhangAlexNet(n_classes=4, input_size=None, n_hidden=256, pooled=2).eval()
    x = torch.randn(2, 3, 64, 64)
    assert net.features(x).shape == (2, 256, 1, 1)
    assert net(x).shape == (2, 4)
    assert count_parameters(net) < count_parameters(ZhangAlexNet(n_classes=4)) / 10


def test_pretrained_alexnet_loads_every_layer_but_the_output(tmp_path, torchvision_alexnet_state):
    state = torchvision_alexnet_state()
    path = tmp_path / "alexnet-imagenet.pt"
    torch.save(state, path)
    net = ZhangAlexNet(n_classes=7, pretrained=path)
    loaded = net.state_dict()
    for name, value in state.items():
        if name.startswith("classifier.6."):
            assert loaded[name].shape[0] == 7  # replaced for the emotions
        else:
            torch.testing.assert_close(loaded[name], value)
    assert net.features[0].out_channels == 64  # widths follow the checkpoint


def test_pretrained_alexnet_refuses_another_layout(tmp_path, torchvision_alexnet_state):
    state = torchvision_alexnet_state()
    state["features.0.weight"] = state.pop("features.0.weight")[:, :2]  # 2 input channels
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(ValueError, match="torchvision's layout"):
        ZhangAlexNet(pretrained=path)
    torch.save([1, 2], path)
    with pytest.raises(ValueError, match="expected a state dict"):
        ZhangAlexNet(pretrained=path)


def test_3d_cnn_follows_table_3():
    net = Zhang3DCNN(n_classes=7).eval()
    convs = _layers(net, torch.nn.Conv3d)
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (4, 8, 8)), (32, (1, 5, 5))]
    assert [p.kernel_size for p in _layers(net, torch.nn.MaxPool3d)] == [(1, 3, 3), (1, 3, 3)]
    assert len(_layers(net, torch.nn.BatchNorm3d)) == 2 and len(_layers(net, torch.nn.Dropout)) == 2
    x = torch.randn(2, 3, 4, 64, 64)
    assert net.features(x).shape == (2, 800) and net.flat_features == 800  # 32 x 5 x 5
    assert [m.out_features for m in _layers(net, torch.nn.Linear)] == [256, 256, 7]
    assert net(x).shape == (2, 7) and net.embed(x).shape == (2, 256)
    with pytest.raises(ValueError, match="too small"):
        Zhang3DCNN(input_shape=(3, 4, 16, 16))
