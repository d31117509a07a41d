"""mlmath: the small, hand-written library behind *The Mathematics of Machine Learning and Imaging*.

Each module belongs to a part of the book: ``linalg``, ``prob`` and ``info``
(foundations), ``gradcheck`` (finite-difference oracles), ``signals``
(convolution, Fourier, sampling), ``imaging``, ``layers`` (forward and
backward passes of network layers), ``optim``, ``generative``, and the
"More gradients" part: ``matgrad``, ``gp``, ``sparse``, ``rl``,
``embeddings``, ``ot``, ``graphs``. ``book`` serves the pages,
``exercises`` checks students' answers and ``grade`` grades a class.
Everything is NumPy in, NumPy out; torch is never imported.
"""

__version__ = "0.1.0"

from . import (
    book,
    datasets,
    embeddings,
    generative,
    gp,
    gradcheck,
    graphs,
    imaging,
    info,
    layers,
    linalg,
    matgrad,
    optim,
    ot,
    prob,
    rl,
    signals,
    sparse,
)

__all__ = [
    "book",
    "datasets",
    "embeddings",
    "generative",
    "gp",
    "gradcheck",
    "graphs",
    "imaging",
    "info",
    "layers",
    "linalg",
    "matgrad",
    "optim",
    "ot",
    "prob",
    "rl",
    "signals",
    "sparse",
]
