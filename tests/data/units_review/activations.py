import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1.0 - sigmoid(x))


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1.0 - np.tanh(x) ** 2


def relu(x, deriv=False):
    if deriv:
        return (x > 0).astype(float)
    return np.maximum(0, x)


def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_derivative(x, alpha=0.01):
    dx = np.ones_like(x, dtype=float)
    dx[x < 0] = 0
    return dx


def softplus(x):
    return np.log1p(np.exp(x))


def softplus_prime(x):
    return 1.0 / (1.0 + np.exp(-x))


def swish(x):
    return x * sigmoid(x)


def swish_prime(x):
    s = sigmoid(x)
    return x * s * (1 - s)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "softplus": (softplus, softplus_prime),
    "swish": (swish, swish_prime),
}


def forward_layer(x, W, b, name="sigmoid"):
    f, _ = ACTIVATIONS[name]
    z = x @ W + b
    return z, f(z)
