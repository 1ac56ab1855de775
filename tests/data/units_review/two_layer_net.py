import numpy as np


class TwoLayerNet:
    def __init__(self, input_dim=3*32*32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {
            "W1": np.random.normal(0.0, weight_scale, (input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": np.random.normal(0.0, weight_scale, (hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        p = self.params
        N = X.shape[0]
        X2 = X.reshape(N, -1)

        z1 = X2 @ p["W1"] + p["b1"]
        h = np.maximum(z1, 0)
        scores = h @ p["W2"] + p["b2"]
        if y is None:
            return scores

        scores = scores - scores.max(axis=1, keepdims=True)
        exp_s = np.exp(scores)
        probs = exp_s / exp_s.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).sum() / N
        loss += self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))

        grads = {}
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N

        grads["W2"] = h.T @ dscores + self.reg * p["W2"]
        grads["b2"] = dscores.sum(axis=0)
        dh = dscores @ p["W2"].T
        dz1 = dh * (z1 > 0)
        grads["W1"] = X2.T @ dz1 + self.reg * p["W1"]
        grads["b1"] = dz1.sum(axis=0)
        return loss, grads

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)

    def train(self, X, y, learning_rate=1e-3, num_iters=100, batch_size=200):
        history = []
        for it in range(num_iters):
            idx = np.random.choice(X.shape[0], batch_size)
            loss, grads = self.loss(X[idx], y[idx])
            for k in self.params:
                self.params[k] -= learning_rate * grads[k]
            history.append(loss)
        return history
