"""Forward and backward passes of network layers.

Convention: ``NAME_forward(...) -> (out, cache)`` and
``NAME_backward(dout, cache) -> gradients`` in the order the forward pass took
its array arguments. Shapes follow PyTorch; gradients are in denominator
layout (shaped like the array they differentiate with respect to).
"""

from .activations import (
    gelu_backward,
    gelu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softplus_backward,
    softplus_forward,
    tanh_backward,
    tanh_forward,
)
from .attention import attention_backward, attention_forward
from .conv import (
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    im2col,
)
from .linear import linear_backward, linear_forward
from .normalization import batchnorm_backward, batchnorm_forward, layernorm_backward, layernorm_forward
from .pooling import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from .regularization import dropout_backward, dropout_forward, l1_penalty, l1_prox, l2_penalty
from .softmax import log_softmax, logsumexp, softmax, softmax_cross_entropy, softmax_jacobian

__all__ = [
    # softmax.py
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_cross_entropy",
    "softmax_jacobian",
    # activations.py
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "gelu_forward",
    "gelu_backward",
    "softplus_forward",
    "softplus_backward",
    # linear.py
    "linear_forward",
    "linear_backward",
    # conv.py
    "conv_output_size",
    "im2col",
    "col2im",
    "conv2d_forward",
    "conv2d_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
    # pooling.py
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    # normalization.py
    "batchnorm_forward",
    "batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    # attention.py
    "attention_forward",
    "attention_backward",
    # regularization.py
    "dropout_forward",
    "dropout_backward",
    "l2_penalty",
    "l1_penalty",
    "l1_prox",
]
