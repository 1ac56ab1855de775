import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out) * np.sqrt(2.0 / n_in)
        self.b = np.zeros(n_out)
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        dx = dout.copy()
        return dx


class Sigmoid:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class BatchNorm:
    def __init__(self, n_in, eps=1e-5):
        self.gamma = np.ones(n_in)
        self.beta = np.zeros(n_in)
        self.eps = eps
        self.dgamma = None
        self.dbeta = None

    def forward(self, x):
        self.x = x
        self.mu = x.mean(axis=0)
        self.var = x.var(axis=0)
        self.std = np.sqrt(self.var + self.eps)
        self.x_hat = (x - self.mu) / self.std
        return self.gamma * self.x_hat + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dgamma = np.sum(dout * self.x, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        dxh = dout * self.gamma
        return (N * dxh - dxh.sum(axis=0) - self.x_hat * (dxh * self.x_hat).sum(axis=0)) / (N * self.std)


class MSELoss:
    def forward(self, pred, y):
        self.diff = pred - y
        return np.mean(self.diff ** 2)

    def backward(self):
        return 2.0 * self.diff / self.diff.size


def train_step(layers, loss_fn, X, Y, lr=1e-2):
    out = X
    for layer in layers:
        out = layer.forward(out)
    loss = loss_fn.forward(out, Y)
    grad = loss_fn.backward()
    for layer in reversed(layers):
        grad = layer.backward(grad)
    for layer in layers:
        if isinstance(layer, Dense):
            layer.W -= lr * layer.dW
            layer.b -= lr * layer.db
    return loss
