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
        "signals": [
            "conv1d",
            "conv2d",
            "correlate2d",
            "conv_matrix",
            "dft_matrix",
            "fft_conv",
            "sinc_interpolate",
            "alias_frequency",
        ],
        "layers": [
            "softmax",
            "softmax_cross_entropy",
            "linear_forward",
            "linear_backward",
            "conv2d_forward",
            "conv2d_backward",
            "maxpool2d_forward",
            "maxpool2d_backward",
            "avgpool2d_forward",
            "avgpool2d_backward",
            "batchnorm_forward",
            "batchnorm_backward",
            "layernorm_forward",
            "layernorm_backward",
            "attention_forward",
            "attention_backward",
            "relu_forward",
            "relu_backward",
            "sigmoid_forward",
            "sigmoid_backward",
            "tanh_forward",
            "tanh_backward",
            "gelu_forward",
            "gelu_backward",
        ],
        "optim": ["SGD", "RMSprop", "Adam"],
        "info": ["entropy", "cross_entropy", "kl_divergence"],
        "generative": ["gaussian_kl", "linear_beta_schedule", "alpha_bar", "q_sample"],
        "imaging": ["tikhonov_solve", "tv_smoothed", "homography_jacobian"],
    }
    missing = [
        f"{mod}.{name}"
        for mod, names in contract.items()
        for name in names
        if not callable(getattr(getattr(mlmath, mod), name, None))
    ]
    assert missing == []


def test_the_built_wheel_installs_alone_in_a_clean_venv_and_every_module_imports(tmp_path):
    """What a Colab notebook's install line does: the wheel and its declared dependencies, nothing else.

    No editable install, no --no-deps: if a module imports a package that pyproject.toml does not
    declare, the import fails here.
    """
    import pathlib
    import venv

    root = pathlib.Path(__file__).resolve().parent.parent
    wheels = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(root)], check=True)
    (wheel,) = wheels.glob("mlmath-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)], check=True)
    code = (
        "import importlib, pkgutil, sys, mlmath\n"
        "names = [m.name for m in pkgutil.walk_packages(mlmath.__path__, 'mlmath.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "assert 'torch' not in sys.modules\n"
        "print(mlmath.__version__, len(names))\n"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    version, count = out.stdout.split()
    import mlmath

    assert version == mlmath.__version__ and int(count) >= 20
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"mlmath-{version}.dist-info/METADATA").decode()
        shipped = archive.namelist()
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
    assert any(name.endswith("licenses/LICENSE") for name in shipped)


def test_binder_installs_the_book_without_test_tooling_and_a_cpu_torch():
    import pathlib
    import re

    binder = pathlib.Path(__file__).resolve().parent.parent / "binder"
    pins = {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", (binder / "requirements.txt").read_text(), re.M)
    }
    assert not {"pytest", "hypothesis", "playwright", "pip-tools"} & set(pins)
    assert pins["torch"].endswith("+cpu") and "download.pytorch.org/whl/cpu" in (binder / "requirements.txt").read_text()
    assert {"jupyter-book", "jupyterlab-myst", "scipy", "numpy"} <= set(pins)
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"


# The public API contract (the project's API.md): names, parameters and defaults, as graders call them.
CONTRACT = {
    "gradcheck.numerical_gradient": "(f, x, eps=1e-06)",
    "gradcheck.relative_error": "(a, b)",
    "gradcheck.check_gradient": "(f, grad, x, eps=1e-06)",
    "signals.conv1d": "(x, h, mode='full')",
    "signals.conv2d": "(x, h, mode='full')",
    "signals.correlate2d": "(x, h, mode='valid')",
    "signals.conv_matrix": "(h, n, mode='full')",
    "signals.dft_matrix": "(n)",
    "signals.fft_conv": "(x, h)",
    "signals.sinc_interpolate": "(samples, dt, t)",
    "signals.alias_frequency": "(f, fs)",
    "layers.softmax": "(z, axis=-1)",
    "layers.softmax_cross_entropy": "(logits, labels)",
    "layers.linear_forward": "(x, W, b)",
    "layers.linear_backward": "(dy, cache)",
    "layers.conv2d_forward": "(x, w, b, stride=1, padding=0)",
    "layers.conv2d_backward": "(dy, cache)",
    "layers.maxpool2d_forward": "(x, kernel_size, stride=None)",
    "layers.avgpool2d_forward": "(x, kernel_size, stride=None)",
    "layers.batchnorm_forward": "(x, gamma, beta, eps=1e-05)",
    "layers.layernorm_forward": "(x, gamma, beta, eps=1e-05)",
    "layers.attention_forward": "(q, k, v, mask=None)",
    "layers.attention_backward": "(dout, cache)",
    "optim.SGD": "(lr, momentum=0.0, nesterov=False, weight_decay=0.0)",
    "optim.RMSprop": "(lr=0.01, alpha=0.99, eps=1e-08)",
    "optim.Adam": "(lr=0.001, betas=(0.9, 0.999), eps=1e-08)",
    "info.entropy": "(p)",
    "info.cross_entropy": "(p, q)",
    "info.kl_divergence": "(p, q)",
    "info.mutual_information": "(pxy)",
    "generative.gaussian_kl": "(mu, logvar)",
    "generative.linear_beta_schedule": "(T=1000, beta_1=0.0001, beta_T=0.02)",
    "generative.alpha_bar": "(betas)",
    "generative.q_sample": "(x0, t, eps, alpha_bar)",
    "imaging.tikhonov_solve": "(A, y, lam, L=None)",
    "imaging.tv_smoothed": "(x, eps)",
    "imaging.homography_jacobian": "(H, p)",
    "prob.gaussian_logpdf": "(x, mu, Sigma)",
    "prob.gaussian_condition": "(mu, Sigma, idx, values)",
    "prob.gaussian_mle": "(X)",
    "prob.mgf": "(dist, t, **params)",
    "prob.chebyshev_bound": "(var, k)",
    "linalg.pinv": "(A, rcond=1e-15)",
    "linalg.equality_qp": "(Q, c, A, b)",
    "matgrad.det_grad": "(A)",
    "matgrad.logdet_grad": "(A)",
    "matgrad.cholesky_backward": "(L, dL)",
    "matgrad.eigh_backward": "(w, V, dw, dV)",
    "matgrad.svd_backward": "(U, S, Vh, dU, dS, dVh)",
    "gp.rbf_kernel": "(X1, X2, lengthscale, variance)",
    "gp.gp_log_marginal_likelihood": "(X, y, lengthscale, variance, noise)",
    "gp.gp_posterior": "(X, y, Xs, lengthscale, variance, noise)",
    "sparse.soft_threshold": "(x, t)",
    "ot.sinkhorn": "(a, b, C, reg, n_iter=10000, tol=1e-09)",
    "embeddings.info_nce": "(za, zb, temperature)",
    "embeddings.sgns_loss": "(v, u, u_neg)",
    "embeddings.glove_loss": "(W, W_ctx, b, b_ctx, X, x_max=100.0, alpha=0.75)",
    "rl.bandit_policy_gradient": "(theta, r)",
    "rl.reinforce": "(theta, sample_reward, n, rng, baseline=None)",
    "graphs.tree_marginals": "(unary, edges, pairwise)",
    "exercises.check": "(exercise_id, answer, seed=0, time_limit=10.0)",
}


def _plain_signature(obj) -> str:
    """The signature with parameters, defaults and kinds, without annotations (the contract's form)."""
    import inspect

    params = []
    for p in inspect.signature(obj).parameters.values():
        text = ("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "") + p.name
        if p.default is not p.empty:
            text += f"={p.default!r}"
        params.append(text)
    return "(" + ", ".join(params) + ")"


def test_the_api_contracts_signatures():
    import importlib

    mismatches = []
    for name, expected in CONTRACT.items():
        module, attr = name.rsplit(".", 1)
        obj = getattr(importlib.import_module(f"mlmath.{module}"), attr)
        got = _plain_signature(obj)
        # the contract fixes the leading parameters and their defaults; later keyword parameters may be added
        if not got.startswith(expected[:-1]) or (got != expected and not got[len(expected) - 1 :].startswith(", ")):
            mismatches.append(f"{name}{got} (contract: {expected})")
    assert not mismatches, mismatches
