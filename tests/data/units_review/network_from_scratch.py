import numpy as np


class FullyConnected(object):
    """y = x W^T + b, weights stored as (output_size, input_size)."""

    def __init__(self, input_size, output_size):
        limit = np.sqrt(6.0 / (input_size + output_size))
        self.weights = np.random.uniform(-limit, limit, size=(output_size, input_size))
        self.bias = np.zeros((1, output_size))
        self.grad_weights = np.zeros_like(self.weights)
        self.grad_bias = np.zeros_like(self.bias)

    def forward(self, input):
        self.input = input
        return np.dot(input, self.weights.T) + self.bias

    def backward(self, output_gradient):
        self.grad_weights = np.dot(output_gradient.T, self.input)
        self.grad_bias = np.sum(output_gradient, axis=0, keepdims=True)
        input_gradient = np.dot(output_gradient, self.weights)
        return input_gradient


class Softmax(object):
    def __init__(self):
        self.output = None

    def forward(self, input):
        e = np.exp(input - np.max(input, axis=-1, keepdims=True))
        self.output = e / np.sum(e, axis=-1, keepdims=True)
        return self.output

    def backward(self, output_gradient):
        s = self.output
        dot = np.sum(output_gradient * s, axis=-1, keepdims=True)
        return s * (output_gradient - dot)


class LayerNorm(object):
    def __init__(self, num_features, eps=1e-5):
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.eps = eps
        self.grad_gamma = None
        self.grad_beta = None

    def forward(self, input):
        mu = input.mean(axis=1, keepdims=True)
        var = input.var(axis=1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (input - mu) * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, output_gradient):
        D = output_gradient.shape[1]
        self.grad_gamma = np.sum(output_gradient * self.x_hat, axis=0)
        self.grad_beta = np.sum(output_gradient, axis=0)
        g = output_gradient * self.gamma
        return (self.inv_std / D) * (
            D * g
            - np.sum(g, axis=1, keepdims=True)
            - self.x_hat * np.sum(g * self.x_hat, axis=1, keepdims=True)
        )


class MeanSquaredError(object):
    def forward(self, prediction, target):
        self.prediction = prediction
        self.target = target
        return np.mean(np.power(target - prediction, 2))

    def backward(self):
        n = np.size(self.target)
        return 2 * (self.target - self.prediction) / n


def train(network, loss, x_train, y_train, epochs=100, learning_rate=0.01):
    for e in range(epochs):
        output = x_train
        for layer in network:
            output = layer.forward(output)
        error = loss.forward(output, y_train)
        grad = loss.backward()
        for layer in reversed(network):
            grad = layer.backward(grad)
            if isinstance(layer, FullyConnected):
                layer.weights -= learning_rate * layer.grad_weights
                layer.bias -= learning_rate * layer.grad_bias
    return error
