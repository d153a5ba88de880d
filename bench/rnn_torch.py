#!/usr/bin/env python3
"""PyTorch twin of `bench_train --model lstm` and `--model gru`: an LSTM or GRU
with 128 hidden units reading each MNIST image row by row (28 steps of 28
pixels, batch first), the last step into Linear(128, 10); PyTorch's default
initialization, Adam (lr 1e-3), batches of 128 shuffled each epoch, and
bench_train's output schema (see `torch_common.py`).

    python3 bench/rnn_torch.py --model lstm|gru --data-dir DIR [--epochs 3] [--threads 2] [--seed S]
"""

from torch import nn

from torch_common import parse_args, run

GATES = {"lstm": 4, "gru": 3}


class RowClassifier(nn.Module):
    """The recurrent layer over the rows, then a linear layer on its last output."""

    def __init__(self, kind):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(28, 128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def recurrent_flops(gates, steps=28, inputs=28, hidden=128, classes=10):
    """Multiply-adds x2 of one sample's training step, counted as bench_train counts them."""
    gh = gates * hidden
    per_step = 2 * inputs * gh + 3 * hidden * gh
    return 2.0 * (steps * per_step + 3 * hidden * classes)


if __name__ == "__main__":
    args = parse_args(__doc__, models=sorted(GATES))
    run(args, args.model, lambda: RowClassifier(args.model), [28, 28], recurrent_flops(GATES[args.model]))
