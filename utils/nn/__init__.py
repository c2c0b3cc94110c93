"""The NumPy neural-network library built up during the course ("Deep Learning from Scratch" style).

- :mod:`utils.nn.functions` — activations and their derivatives, softmax, losses,
  ``one_hot``, ``numerical_gradient`` (1_2, 1_3, 1_4)
- :mod:`utils.nn.layers` — ``Affine``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``SoftmaxWithLoss``,
  ``Sequential``, ``two_layer_net`` (1_1, 1_5), ``mlp`` (2_1)
- :mod:`utils.nn.optimizers` — ``SGD`` and friends, ``update(params, grads)`` (1_4)
- :mod:`utils.nn.gradcheck` — ``gradient_check``, ``rel_error``, ``tf_gradients`` (1_4, 1_5)
- :mod:`utils.nn.initializers` — Xavier and He initialization (2_1)
- :mod:`utils.nn.normalization` — ``BatchNorm`` (2_1)
- :mod:`utils.nn.optimizers` also holds Momentum, Nesterov, AdaGrad, RMSProp, Adadelta, Adam (2_2)
- :mod:`utils.nn.regularization` — L1/L2 penalties, ``Dropout`` (2_3)
- :mod:`utils.nn.conv` — im2col/col2im, ``Conv2D``, ``MaxPool``, ``AvgPool`` (2_4)
- :mod:`utils.nn.recurrent` — RNN, BPTT, truncated BPTT, gradient clipping, bidirectional (3_1, 3_3)
- :mod:`utils.nn.gated` — LSTM and GRU (3_2)
- :mod:`utils.nn.word2vec` — skip-gram with negative sampling (3_5)
- :mod:`utils.nn.attention` — dot-product and additive attention (3_6)
- :mod:`utils.nn.recursive` — the recursive NN over a parse tree (3_6)

Only NumPy is imported here; ``tf_gradients`` imports TensorFlow when called.
"""

from utils.nn import (
    attention,
    conv,
    gated,
    initializers,
    normalization,
    optimizers,
    recurrent,
    recursive,
    regularization,
    word2vec,
)
from utils.nn.attention import *  # noqa: F403
from utils.nn.conv import *  # noqa: F403
from utils.nn.functions import (
    ACTIVATIONS,
    EPS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy_error,
    d_elu,
    d_identity,
    d_leaky_relu,
    d_relu,
    d_sigmoid,
    d_step,
    d_tanh,
    elu,
    identity,
    leaky_relu,
    mean_squared_error,
    numerical_gradient,
    one_hot,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    step,
    tanh,
)
from utils.nn.gated import *  # noqa: F403
from utils.nn.gradcheck import GRADCHECK_TOL, gradient_check, rel_error, tf_gradients
from utils.nn.initializers import *  # noqa: F403
from utils.nn.layers import (
    Affine,
    Layer,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxWithLoss,
    Tanh,
    mlp,
    two_layer_net,
)
from utils.nn.normalization import *  # noqa: F403
from utils.nn.optimizers import *  # noqa: F403
from utils.nn.recurrent import *  # noqa: F403
from utils.nn.recursive import *  # noqa: F403
from utils.nn.regularization import *  # noqa: F403
from utils.nn.word2vec import *  # noqa: F403

__all__ = [
    "ACTIVATIONS",
    "EPS",
    "GRADCHECK_TOL",
    "Affine",
    "Layer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SoftmaxWithLoss",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy_error",
    "d_elu",
    "d_identity",
    "d_leaky_relu",
    "d_relu",
    "d_sigmoid",
    "d_step",
    "d_tanh",
    "elu",
    "gradient_check",
    "identity",
    "leaky_relu",
    "mean_squared_error",
    "mlp",
    "numerical_gradient",
    "one_hot",
    "relu",
    "rel_error",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "step",
    "tanh",
    "tf_gradients",
    "two_layer_net",
    *attention.__all__,
    *conv.__all__,
    *gated.__all__,
    *initializers.__all__,
    *normalization.__all__,
    *optimizers.__all__,
    *recurrent.__all__,
    *recursive.__all__,
    *regularization.__all__,
    *word2vec.__all__,
]
