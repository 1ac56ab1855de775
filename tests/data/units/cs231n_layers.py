import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx = dout * (cache > 0)
    return dx


def bad_affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def bad_affine_backward(dout, cache):
    x, w, b = cache
    dx = dout @ w.T
    dw = x.T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(probs[np.arange(n), y]).sum() / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    mask = (np.random.rand(*x.shape) < p) / p
    out = x * mask if mode == "train" else x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(a):
    return a * (1 - a)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1 - z


def relu(x, deriv=False):
    if deriv:
        return (x > 0).astype(float)
    return np.maximum(x, 0)


def mse(pred, target):
    return np.mean((pred - target) ** 2)


def mse_prime(pred, target):
    return pred - target


class Dense:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out) * 0.1
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class MSELoss:
    def forward(self, pred, y):
        self.pred, self.y = pred, y
        return np.mean((pred - y) ** 2)

    def backward(self):
        return 2 * (self.pred - self.y) / self.pred.size


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}
        self.reg = reg

    def loss(self, X, y=None):
        h, c1 = affine_forward(X, self.params["W1"], self.params["b1"])
        a, c2 = relu_forward(h)
        scores, c3 = affine_forward(a, self.params["W2"], self.params["b2"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))
        grads = {}
        da, grads["W2"], grads["b2"] = affine_backward(dscores, c3)
        dh = relu_backward(da, c2)
        dx, grads["W1"], grads["b1"] = affine_backward(dh, c1)
        grads["W1"] += self.reg * self.params["W1"]
        grads["W2"] += self.reg * self.params["W2"]
        return loss, grads
