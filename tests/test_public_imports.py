"""Every public import that worked before the package layout of issue 25 (recipes and
representations split per paper family) still works.

The lists are the old surface, generated from main before the move and written here literally:
every name in every ``__all__`` of sklearn_ser and its subpackages, every public function and
constant of ``sklearn_ser.recipes``, every class of ``sklearn_ser.features.representations``, and
the names tests import from the other modules the move touched. Add to them; never remove.
"""
import importlib

import pytest

PUBLIC = {
    'sklearn_ser': [
        'InvalidUtteranceError', '__version__', 'enroll'
    ],
    'sklearn_ser.audio': [
        'AudioLoader', 'as_utterances', 'load_utterances', 'read_audio', 'take_utterances',
        'validate_utterances',
        # issue 30 (files decoded in the task that uses them)
        'checked_sources', 'decode',
    ],
    # issue 29 (calibration on speaker folds)
    'sklearn_ser.calibration': ['SpeakerCalibratedClassifierCV', 'speaker_calibration_folds'],
    'sklearn_ser.datasets': [
        'CorpusLayoutError', 'EMOTION_PROFILES', 'FEELTRACE_LANDMARKS', 'KIM_LABEL_MAP', 'READERS',
        'bin_five_levels', 'bin_low_mid_high', 'combine_corpora', 'feeltrace_category',
        'load_corpus', 'make_synthetic_corpus', 'read_cremad', 'read_emodb', 'read_iemocap',
        'read_manifest', 'read_ravdess', 'read_tess', 'synthesize_utterance',
        # issue 27 (dimensional targets)
        'CATEGORY_RATINGS_PROXY', 'DIMENSIONS', 'five_levels', 'low_mid_high', 'proxy_ratings', 'ratings_of',
        # issue 29 (cross-corpus tests)
        'shared_label_map',
    ],
    'sklearn_ser.ensemble': [
        'ELMClassifier', 'FeatureFusionClassifier', 'FunctionalsELM', 'ScoreFusionClassifier',
        'best_weights', 'posterior_functionals', 'simplex_grid', 'utterance_features'
    ],
    'sklearn_ser.estimators': [
        'FrequencyWarp', 'SERNetClassifier', 'SERStepNetClassifier', 'SegmentNetClassifier',
        'pool_posteriors',
        # issue 27 (Latif et al.)
        'AEEncoder', 'CVAEEncoder', 'LatentLSTMClassifier', 'VAEEncoder',
        # issue 28 (Wieser et al.)
        'HEAD_UPDATES', 'MultiHeadNetClassifier',
        # issue 29 (training-batch augmentation)
        'AdditiveNoise', 'BatchAugmentation', 'Compose', 'PitchShift', 'SpecAugment', 'SpeedPerturbation',
        'make_augmentation'
    ],
    'sklearn_ser.features': [
        'BinStandardScaler', 'FUNCTIONAL_NAMES', 'FrameWindows', 'KimSpectrogramVolumes',
        'LLDContextFrames', 'LLDFunctionals', 'LLD_NAMES', 'LatifLogMelSegments', 'MIN_UTTERANCES',
        'OpenSmileFunctionals', 'REPRESENTATIONS', 'RawSubsequences', 'WieserMFCCWindows',
        'WieserRawWindows', 'ZhangMelClips', 'ZhangMelSegments', 'ZhangRawSegments',
        'context_stack', 'enroll', 'frame_llds', 'functional_names', 'functionals',
        'log_mel_spectrogram', 'log_spectrogram', 'mfcc', 'minmax_gain_per_speaker',
        'power_spectrogram', 'ragged', 'segment_rows', 'stack_segments', 'standardize_per_speaker',
        'voicing_probability',
        # issue 28 (Wieser et al.)
        'WieserWindowFunctionals',
        # issue 29 (native broad functionals)
        'BROAD_FEATURE_NAMES', 'BROAD_FUNCTIONAL_NAMES', 'BROAD_LLD_NAMES', 'BroadFunctionals',
        'broad_features', 'broad_functional_names', 'broad_functionals', 'broad_llds'
    ],
    'sklearn_ser.features.base': [
        'UtteranceTransformer'
    ],
    'sklearn_ser.features.representations': [
        'KimSpectrogramVolumes', 'LLDContextFrames', 'LatifLogMelSegments', 'RawSubsequences',
        'WieserMFCCWindows', 'WieserRawWindows', 'ZhangMelClips', 'ZhangMelSegments',
        'ZhangRawSegments', 'delta_operator',
        # issue 28 (Wieser et al.)
        'WieserWindowFunctionals'
    ],
    'sklearn_ser.inspection': [
        'confusion_percent', 'plot_confusion_matrix', 'plot_embedding', 'plot_representation',
        'tsne_embedding',
        # issue 27 (Latif et al.)
        'plot_reconstruction', 'reconstruction_errors', 'unfold_segments',
        # issue 28
        'activation_summary', 'envelope_correlation', 'maximize_activation', 'plot_saliency',
        'saliency', 'saliency_correlation', 'write_activation'
    ],
    'sklearn_ser.model_selection': [
        'Comparison', 'EvaluationReport', 'KimSpeakerSplit', 'LeaveOneSpeakerOut', 'SpeakerHoldout',
        'SpeakerKFold', 'SpeakerValidSplit', 'check_speaker_disjoint', 'compare_systems',
        'evaluate', 'make_cv', 'speaker_corpus', 'speaker_validation_split',
        # issue 29 (multi-corpus training)
        'extra_training_utterances'
    ],
    'sklearn_ser.nets': [
        'CNN1DLSTM', 'CNN2DLSTM', 'FFTConv', 'FrameDNN', 'Kim3DCNN', 'Kim3DCNNSteps',
        'SequenceLSTM', 'Zhang1DCNN', 'Zhang3DCNN', 'ZhangAlexNet', 'count_parameters',
        # issue 27 (Latif et al.)
        'LatifAE', 'LatifCVAE', 'LatifLSTM', 'LatifVAE', 'gaussian_kl',
        # issue 28 (Wieser et al.)
        'WieserCNN', 'WieserNet'
    ],
    'sklearn_ser.nets.fftconv': [
        'FFTConv', 'fft_conv', 'kernel_spectrum', 'make_conv'
    ],
    'sklearn_ser.recipes': [
        'SYSTEMS', 'System', 'TRAINING', 'ZHANG_INPUTS', 'ZHANG_LR', 'ZHANG_MEMBERS',
        'ZHANG_TRAINING', 'baseline', 'dnn_elm', 'get_system', 'kim_1d_cnn_lstm', 'kim_2d_cnn_lstm',
        'kim_3d_cnn', 'lstm_elm', 'parse_settings', 'system_settings', 'zhang_cnn', 'zhang_fusion',
        # issue 27 (Latif et al.)
        'latif_lstm',
        # issue 28 (Wieser et al.)
        'WIESER_INPUTS', 'WIESER_TRAINING', 'wieser_net',
        # issue 29 (broad functionals)
        'INNER_FOLDS', 'functionals_svm',
        # issue 29 (cross-family fusion)
        'CROSS_FAMILY_MEMBERS', 'cross_family_fusion'
    ],
}

SYSTEM_NAMES = [
    "baseline", "baseline-spknorm", "kim-3d-cnn-dnn", "kim-3d-cnn-dnn-paper", "kim-3d-cnn-dnn-elm",
    "kim-3d-cnn-dnn-spknorm", "kim-3d-cnn-dnn-elm-spknorm", "dnn-elm", "lstm-elm", "kim-2d-cnn-lstm",
    "kim-2d-cnn-lstm-dnn", "zhang-1d", "zhang-2d", "zhang-2d-small", "zhang-3d", "zhang-score-fusion",
    "zhang-feature-fusion", "kim-1d-cnn-lstm",
    # issue 27 (Latif et al.)
    "latif-ae-lstm", "latif-vae-lstm", "latif-cvae-lstm",
    # issue 28 (Wieser et al.)
    "wieser-elor", "wieser-lom", "wieser-ftr", "wieser-elor-ftr",
    # issue 29 (broad functionals and their openSMILE peers)
    "functionals", "functionals-spknorm", "compare", "compare-spknorm", "egemaps", "egemaps-spknorm",
    "cross-family-fusion",
]


@pytest.mark.parametrize("module, name", [(m, n) for m, names in PUBLIC.items() for n in names])
def test_public_name_still_imports(module, name):
    namespace = {}
    exec(f"from {module} import {name}", namespace)
    assert namespace[name] is getattr(importlib.import_module(module), name)


# the modules that had an __all__
ALL_MODULES = ["sklearn_ser", "sklearn_ser.datasets", "sklearn_ser.ensemble", "sklearn_ser.estimators",
               "sklearn_ser.features", "sklearn_ser.inspection", "sklearn_ser.model_selection",
               "sklearn_ser.nets"]


@pytest.mark.parametrize("module", ALL_MODULES)
def test_every_old_all_name_is_still_in_all(module):
    assert set(PUBLIC[module]) <= set(importlib.import_module(module).__all__)


def test_every_system_is_still_registered():
    from sklearn_ser.recipes import SYSTEMS

    assert set(SYSTEM_NAMES) <= set(SYSTEMS)
