import numpy as np


class Sigmoid:
    @staticmethod
    def fn(z):
        return 1.0 / (1.0 + np.exp(-z))

    @staticmethod
    def grad(z):
        return z * (1 - z)


class Tanh:
    @staticmethod
    def fn(z):
        return np.tanh(z)

    @staticmethod
    def grad(z):
        return 1.0 / np.cosh(z) ** 2


class ReLU:
    @staticmethod
    def fn(z):
        return np.maximum(z, 0.0)

    @staticmethod
    def grad(z):
        return np.heaviside(z, 0.0)


class Softplus:
    @staticmethod
    def fn(z):
        return np.logaddexp(0.0, z)

    @staticmethod
    def grad(z):
        return 1.0 / (1.0 + np.exp(z))


class Identity:
    @staticmethod
    def fn(z):
        return z

    @staticmethod
    def grad(z):
        return np.ones_like(z)
