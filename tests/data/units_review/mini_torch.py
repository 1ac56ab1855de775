import numpy as np


class Module:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def __call__(self, *args):
        return self.forward(*args)


class Linear(Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        bound = 1.0 / np.sqrt(in_features)
        self.params['W'] = np.random.uniform(-bound, bound, (in_features, out_features))
        self.params['b'] = np.random.uniform(-bound, bound, (out_features,))
        self.grads['W'] = np.zeros_like(self.params['W'])
        self.grads['b'] = np.zeros_like(self.params['b'])

    def forward(self, x):
        self.cache = x
        return np.dot(x, self.params['W']) + self.params['b']

    def backward(self, dout):
        x = self.cache
        self.grads['W'] = np.dot(x.T, dout)
        self.grads['b'] = np.mean(dout, axis=0)
        return np.dot(dout, self.params['W'].T)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        self.cache = x
        return np.where(x > 0, x, self.negative_slope * x)

    def backward(self, dout):
        x = self.cache
        return dout * np.where(x > 0, 1.0, 0.0)


class Tanh(Module):
    def forward(self, x):
        self.cache = np.tanh(x)
        return self.cache

    def backward(self, dout):
        t = self.cache
        return dout * (1.0 - np.square(t))


class Sigmoid(Module):
    def forward(self, x):
        s = np.empty_like(x, dtype=float)
        pos = x >= 0
        s[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        s[~pos] = ex / (1.0 + ex)
        self.cache = s
        return s

    def backward(self, dout):
        s = self.cache
        return dout * s * (1 - s)


class LogSoftmax(Module):
    def forward(self, x):
        z = x - x.max(axis=-1, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        self.cache = np.exp(out)
        return out

    def backward(self, dout):
        softmax = self.cache
        return dout - softmax * dout


class CrossEntropyLoss(Module):
    def forward(self, logits, target):
        z = logits - logits.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        n = logits.shape[0]
        self.cache = (np.exp(log_p), target)
        return -log_p[np.arange(n), target].mean()

    def backward(self):
        p, target = self.cache
        n = p.shape[0]
        grad = p.copy()
        grad[np.arange(n), target] -= 1.0
        return grad / n
