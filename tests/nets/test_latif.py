"""Latif et al.'s networks: the autoencoders' shapes and parameter counts, the Gaussian layer,
the conditioning, and an LSTM whose output for an utterance ignores padding and batch companions."""
import pytest
import torch

from sklearn_ser.nets import LatifAE, LatifCVAE, LatifLSTM, LatifVAE, count_parameters, gaussian_kl

ENCODER = (800 * 512 + 512) + (512 * 256 + 256)      # 800 -> 512 -> 256
DECODER = (128 * 256 + 256) + (256 * 512 + 512) + (512 * 800 + 800)  # 128 -> 256 -> 512 -> 800


def test_parameter_counts_of_the_papers_shapes():
    assert count_parameters(LatifAE()) == ENCODER + (256 * 128 + 128) + DECODER   # a dense latent layer
    assert count_parameters(LatifVAE()) == ENCODER + (256 * 256 + 256) + DECODER  # mean and log-variance
    # the one-hot label enters the first layer of the encoder and of the decoder
    assert count_parameters(LatifCVAE(n_classes=4)) == count_parameters(LatifVAE()) + 4 * 512 + 4 * 256


def test_shapes_of_codes_and_reconstructions():
    x = torch.randn(5, 800)
    recon, code = LatifAE(latent_size=32)(x)
    assert recon.shape == (5, 800) and code.shape == (5, 32)
    recon, mean, logvar = LatifVAE(latent_size=64)(x)
    assert recon.shape == (5, 800) and mean.shape == logvar.shape == (5, 64)
    c = torch.eye(3)[[0, 1, 2, 0, 1]]
    recon, mean, logvar = LatifCVAE(n_classes=3, hidden=(64, 32), latent_size=8)(x, c)
    assert recon.shape == (5, 800) and mean.shape == (5, 8)


def test_the_vae_samples_in_training_and_decodes_the_mean_in_eval():
    torch.manual_seed(0)
    vae, x = LatifVAE(hidden=(64, 32), latent_size=8), torch.randn(4, 800)
    vae.eval()
    recon, mean, _ = vae(x)
    torch.testing.assert_close(recon, vae.decode(mean))
    torch.testing.assert_close(vae(x)[0], recon)                # deterministic
    vae.train()
    assert not torch.allclose(vae(x)[0], vae(x)[0])            # z = mean + eps * sigma


def test_the_cvae_encoding_depends_on_the_label():
    torch.manual_seed(0)
    cvae, x = LatifCVAE(n_classes=2, hidden=(64, 32), latent_size=8).eval(), torch.randn(3, 800)
    first, _ = cvae.encode(x, torch.tensor([[1.0, 0.0]]).expand(3, 2))
    second, _ = cvae.encode(x, torch.tensor([[0.0, 1.0]]).expand(3, 2))
    assert not torch.allclose(first, second)
    with pytest.raises(ValueError, match="n_classes"):
        LatifCVAE(n_classes=0)


def test_gaussian_kl_is_the_closed_form_divergence_from_the_standard_normal():
    mean, logvar = torch.randn(6, 5), torch.randn(6, 5)
    expected = torch.distributions.kl_divergence(
        torch.distributions.Normal(mean, (0.5 * logvar).exp()), torch.distributions.Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mean, logvar), expected)
    assert torch.all(gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5)) == 0)


def test_lstm_logits_and_embedding():
    net = LatifLSTM(n_classes=4, n_features=16, n_cells=8)
    x = torch.randn(3, 7, 16)
    assert net(x, torch.tensor([7, 3, 1])).shape == (3, 4)
    assert net(x).shape == (3, 4)                              # no lengths: every step is valid
    assert LatifLSTM(n_features=16, n_cells=8, n_hidden=5).embed(x).shape == (3, 5)
    assert len(net.lstm.all_weights) == 2                      # two LSTM layers


def test_an_utterance_s_logits_ignore_padding_and_batch_companions():
    torch.manual_seed(0)
    net = LatifLSTM(n_classes=3, n_features=6, n_cells=8).eval()
    short, long = torch.randn(4, 6), torch.randn(11, 6)
    with torch.no_grad():
        alone = net(short[None], torch.tensor([4]))
        batch = torch.zeros(2, 11, 6)
        batch[0, :4], batch[1] = short, long
        together = net(batch, torch.tensor([4, 11]))
        batch[0, 4:] = 1e3                                     # whatever the padding holds
        garbage = net(batch, torch.tensor([4, 11]))
    torch.testing.assert_close(together[:1], alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(garbage, together)
