"""Frame context and segmentation helpers."""
import numpy as np

from sklearn_ser.features import ZhangRawSegments, context_stack, segment_rows, stack_segments

from ..conftest import noise


def test_context_and_segments_helpers():
    frames = np.arange(12, dtype=np.float32).reshape(6, 2)
    ctx = context_stack(frames, 5)
    assert ctx.shape == (6, 10)
    np.testing.assert_array_equal(ctx[2], frames[0:5].ravel())
    np.testing.assert_array_equal(ctx[0], np.concatenate([frames[0], frames[0], frames[0], frames[1], frames[2]]))
    seg = segment_rows(np.arange(10), 4, 3)
    np.testing.assert_array_equal(seg, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    data, owners = stack_segments(ZhangRawSegments().fit_transform([noise(0.1, sr=22050), noise(0.2, sr=22050)]))
    assert data.shape == (3 + 7, 625) and list(owners) == [0] * 3 + [1] * 7
