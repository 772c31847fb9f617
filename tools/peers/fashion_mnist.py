"""The IDX files of an MNIST-format data set (Fashion-MNIST by default) as uint8 arrays, for the peer scripts."""
import gzip, os
import numpy as np

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"


def idx(root, name):
    """The array of the IDX file whose name starts with `name` (e.g. "train-images"), gzipped or not."""
    path = next(os.path.join(root, f) for f in sorted(os.listdir(root)) if f.startswith(name))
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root=DEFAULT_ROOT):
    """(train x, train labels, test x, test labels): x as float32 in [0, 1], [n, 784]; labels as int64."""
    def images(name):
        raw = idx(root, name)
        return (raw.reshape(len(raw), -1).astype(np.float32) / 255)
    return (images("train-images"), idx(root, "train-labels").astype(np.int64),
            images("t10k-images"), idx(root, "t10k-labels").astype(np.int64))


NETWORKS = {
    "mlp1": [784, 10],
    "mlp2": [784, 196, 10],
    "deep": [784, 500, 200, 100, 30, 30, 30, 10],
}
