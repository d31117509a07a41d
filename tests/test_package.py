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
