import numpy as np

EPS = 1e-12


def mse(y_true, y_pred):
    return np.mean(np.power(y_true - y_pred, 2))


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / np.size(y_true)


def mae(y_true, y_pred):
    return np.mean(np.abs(y_pred - y_true))


def mae_prime(y_true, y_pred):
    return np.sign(y_pred - y_true)


def binary_cross_entropy(y_true, y_pred):
    y_pred = np.clip(y_pred, EPS, 1 - EPS)
    return np.mean(-y_true * np.log(y_pred) - (1 - y_true) * np.log(1 - y_pred))


def binary_cross_entropy_prime(y_true, y_pred):
    y_pred = np.clip(y_pred, EPS, 1 - EPS)
    return (y_true / y_pred - (1 - y_true) / (1 - y_pred)) / np.size(y_true)


def categorical_cross_entropy(y_true, y_pred):
    """y_true: one-hot (N, C); y_pred: probabilities (N, C)."""
    y_pred = np.clip(y_pred, EPS, 1.0)
    return -np.sum(y_true * np.log(y_pred)) / y_true.shape[0]


def categorical_cross_entropy_prime(y_true, y_pred):
    y_pred = np.clip(y_pred, EPS, 1.0)
    return -y_true / y_pred / y_true.shape[0]


def huber(y_true, y_pred, delta=1.0):
    r = y_pred - y_true
    quad = 0.5 * r ** 2
    lin = delta * (np.abs(r) - 0.5 * delta)
    return np.mean(np.where(np.abs(r) <= delta, quad, lin))


def huber_prime(y_true, y_pred, delta=1.0):
    r = y_pred - y_true
    return r / np.size(y_true)
