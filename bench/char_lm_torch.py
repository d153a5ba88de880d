#!/usr/bin/env python3
"""PyTorch twin of rede's `char_lm` example: characters -> Embedding(vocab, 32) ->
LSTM(32, hidden) -> Linear(hidden, vocab), predicting each next character over
random windows of the first 90% of FILE, Adam (lr 2e-3), gradients clipped to
norm 5; the last 10% is held out for next-character accuracy. Prints one line
per epoch and the example's final JSON line (`train_seconds` counts the
training steps only).

    python3 bench/char_lm_torch.py FILE [--epochs 5] [--seq-len 64] [--hidden 128] [--batch-size 32] [--steps 100]
"""

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn


class CharModel(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.head(out)


def windows(ids, starts, t):
    """Inputs [N, T] and next-character targets [N*T] from windows starting at `starts`."""
    x = torch.stack([ids[s : s + t] for s in starts])
    y = torch.stack([ids[s + 1 : s + t + 1] for s in starts]).reshape(-1)
    return x, y


def accuracy(model, ids, t):
    """Next-character accuracy over consecutive windows of `ids`."""
    starts = [i * t for i in range(max(len(ids) - t - 1, 0) // t)]
    right = total = 0
    with torch.no_grad():
        for i in range(0, len(starts), 64):
            x, y = windows(ids, starts[i : i + 64], t)
            right += (model(x).reshape(y.numel(), -1).argmax(-1) == y).sum().item()
            total += y.numel()
    return right / total if total else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    text = open(args.file, encoding="utf-8").read()
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text])
    split = len(ids) * 9 // 10
    train, held_out = ids[:split], ids[split:]
    model = CharModel(len(vocab), args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    train_seconds, acc = 0.0, float("nan")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for _ in range(args.steps):
            starts = torch.randint(0, len(train) - args.seq_len - 1, (args.batch_size,)).tolist()
            x, y = windows(train, starts, args.seq_len)
            loss = F.cross_entropy(model(x).reshape(y.numel(), len(vocab)), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        train_seconds += time.perf_counter() - start
        acc = accuracy(model, held_out, args.seq_len)
        print(f"epoch {epoch:>2}: held-out accuracy {100 * acc:.2f}%, {time.perf_counter() - start:.2f} s", flush=True)
    print(json.dumps({"test_accuracy": acc, "epochs": args.epochs, "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
