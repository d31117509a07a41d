"""mlmath: the small, hand-written library behind *The Mathematics of Machine Learning and Imaging*.

Each module belongs to a part of the book: ``gradcheck`` (finite-difference
oracles), ``signals`` (convolution, Fourier, sampling), ``layers`` (forward
and backward passes of network layers), ``optim``, ``info``, ``generative``
and ``imaging``. Everything is NumPy in, NumPy out; torch is never imported.
"""

__version__ = "0.1.0"

from . import book, generative, gradcheck, imaging, info, layers, optim, signals  # noqa: E402

__all__ = ["book", "generative", "gradcheck", "imaging", "info", "layers", "optim", "signals"]
