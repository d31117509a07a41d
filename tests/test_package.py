"""Package-level contract: importing mlmath never imports torch (torch is only the tests' oracle)."""

import subprocess
import sys


def test_import_mlmath_does_not_import_torch():
    code = "import sys, mlmath, mlmath.layers, mlmath.optim, mlmath.imaging; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_every_public_name_of_the_api_contract_exists():
    import mlmath

    contract = {
        "gradcheck": ["numerical_gradient", "relative_error", "check_gradient"],
        "signals": ["conv1d", "conv2d", "correlate2d", "conv_matrix", "dft_matrix", "fft_conv", "sinc_interpolate", "alias_frequency"],
        "layers": [
            "softmax", "softmax_cross_entropy", "linear_forward", "linear_backward", "conv2d_forward", "conv2d_backward",
            "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward", "batchnorm_forward",
            "batchnorm_backward", "layernorm_forward", "layernorm_backward", "attention_forward", "attention_backward",
            "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
            "gelu_forward", "gelu_backward",
        ],
        "optim": ["SGD", "RMSprop", "Adam"],
        "info": ["entropy", "cross_entropy", "kl_divergence"],
        "generative": ["gaussian_kl", "linear_beta_schedule", "alpha_bar", "q_sample"],
        "imaging": ["tikhonov_solve", "tv_smoothed", "homography_jacobian"],
    }
    missing = [f"{mod}.{name}" for mod, names in contract.items() for name in names if not callable(getattr(getattr(mlmath, mod), name, None))]
    assert missing == []
