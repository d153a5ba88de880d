"""What the PyTorch twins of `bench_train` share: reading MNIST, the options, and
the timed training loop with bench_train's output schema.

One JSON line per epoch, where `epoch_s` times the training loop only (shuffle
plus every mini-batch's forward, backward and update) and the test accuracy is
measured outside it in chunks of 1000 images, then a line with peak RSS and
GFLOP/s of the median epoch.

With `--device cuda` the data set is moved to the GPU once, batches are indexed
there, the epoch timer stops after `torch.cuda.synchronize()`, and the summary
line adds the peak GPU memory PyTorch allocated (`peak_gpu_mb`).
"""

import argparse
import gzip
import json
import os
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(directory, name):
    """An IDX file (raw or .gz) as a numpy array."""
    path = os.path.join(directory, name)
    opener = open if os.path.exists(path) else gzip.open
    path = path if os.path.exists(path) else path + ".gz"
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, prefix, shape):
    """Images of `prefix` ("train" or "t10k") in [0, 1], reshaped to [n, *shape], and labels."""
    x = read_idx(directory, f"{prefix}-images-idx3-ubyte").reshape(-1, *shape).astype(np.float32) / 255.0
    y = read_idx(directory, f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def parse_args(description, models=None):
    """The options every twin takes, as bench_train spells them; `--model` too
    when the twin serves several `models`."""
    parser = argparse.ArgumentParser(description=description)
    if models:
        parser.add_argument("--model", choices=models, required=True)
    parser.add_argument("--data-dir", default=os.path.join(os.environ.get("REDE_DATA_DIR", "."), "mnist"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-samples", type=int, default=None,
                        help="train on the first N images only (quick runs, as bench_train's option)")
    parser.add_argument("--flush-denormal", action="store_true",
                        help="torch.set_flush_denormal(True): subnormal floats become zero, as rede's Adam stores them")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--tf32", action="store_true", help="let f32 matrix products use TF32 tensor cores")
    parser.add_argument("--random", action="store_true", help="random data of MNIST's shapes instead of the files")
    return parser.parse_args()


def random_data(n, shape, generator):
    """`n` uniform inputs of `shape` and random labels of 10 classes."""
    return torch.rand(n, *shape, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def run(args, name, build_model, input_shape, flops_per_sample, random_only=False):
    """Trains `build_model()` with Adam (lr 1e-3) on MNIST (random data with
    `random_only`) and prints the schema's lines."""
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(args.flush_denormal)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    if args.random or random_only:
        g = torch.Generator().manual_seed(1)
        (x_train, y_train), (x_test, y_test) = random_data(60_000, input_shape, g), random_data(1000, input_shape, g)
    else:
        x_train, y_train = load(args.data_dir, "train", input_shape)
        x_test, y_test = load(args.data_dir, "t10k", input_shape)
    if args.train_samples:
        x_train, y_train = x_train[: args.train_samples], y_train[: args.train_samples]
    x_train, y_train, x_test, y_test = (t.to(device) for t in (x_train, y_train, x_test, y_test))
    model = build_model().to(device)
    cuda = device.type == "cuda"
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    framework = f"pytorch-{torch.__version__}"
    n = x_train.shape[0]
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n, device=device)
        for i in range(0, n, args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if cuda:
            torch.cuda.synchronize(device)
        epoch_s = time.perf_counter() - start
        times.append(epoch_s)
        model.eval()
        with torch.no_grad():
            correct = sum(
                (model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
                for i in range(0, x_test.shape[0], 1000)
            )
        print(json.dumps({
            "framework": framework, "device": str(device), "model": name, "threads": args.threads,
            "batch_size": args.batch_size, "epoch": epoch, "epoch_s": round(epoch_s, 4),
            "step_ms": round(1e3 * epoch_s / -(-n // args.batch_size), 3),
            "test_acc": round(correct / x_test.shape[0], 4),
        }), flush=True)
    flops = flops_per_sample * n
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    median = sorted(times)[len(times) // 2]
    summary = {
        "framework": framework, "peak_rss_mb": round(peak_mib, 1),
        "gflops": round(flops / median / 1e9, 1), "epoch_gflop": round(flops / 1e9, 1),
    }
    if cuda:
        summary["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    print(json.dumps(summary), flush=True)
