"""``bplint gradcheck``: run one training step of each network class and compare every
parameter's update with finite differences of the loss.

The parent process plans (:mod:`plan`, from bplint's model and shape pass; no NumPy) and prints
(:mod:`report`); the worker subprocess (:mod:`worker`, started by :mod:`runner` with a time
limit) loads the script's definitions (:mod:`program`: a file or a notebook's code cells;
:mod:`loader`, :mod:`guard`), builds the network (:mod:`instantiate`, :mod:`rng`,
:mod:`params`), runs it (:mod:`calls`, :mod:`check`) and judges each update (:mod:`losses`,
:mod:`numeric`, :mod:`assess`).
"""
