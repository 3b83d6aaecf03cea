"""Grokking on small algorithmic datasets.

A small decoder-only transformer is trained to complete equations of the form

    x  <op>  y  =  ?

where the answer is a single token.  Four binary operations are studied:

    x_plus_y     x + y   (mod p)
    x_minus_y    x - y   (mod p)
    x_div_y      x / y   (mod p), i.e. x * y^(p-2) mod p, y != 0, p prime
    permutation  x o y   composition of two permutations of k elements (S_k)

Every possible equation is enumerated once; a fixed fraction of them is used for
training and the rest for validation.  With weight decay the network first fits
(memorises) the training set and, often much later, suddenly generalises to the
validation set: "grokking".  We record train/val loss and accuracy over training
and the first step at which validation accuracy reaches 99 %.

Usage:
    python experiment.py --out_dir=run_0

Outputs (in --out_dir, created if missing):
    final_info.json  {dataset: {"means": {metric: mean over seeds},
                                "stderrs": {metric: standard error over seeds},
                                "final_info_dict": {metric: [value per seed]}}}
    all_results.npy  a pickled dict {dataset: [per-seed log dict, ...]}; each log dict
                     has "seed", "steps", "train_loss", "val_loss", "train_acc",
                     "val_acc" (lists, one entry per evaluation) and "final_info".
                     Load with np.load(path, allow_pickle=True).item().

Set the environment variable AI_SCIENTIST_SMOKE=1 for a tiny configuration that
runs in a few seconds on a CPU (used by tests, not for research results).
"""

import argparse
import itertools
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SMOKE = os.environ.get("AI_SCIENTIST_SMOKE", "") == "1"


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


@dataclass
class Config:
    # Data
    p: int = 97                  # modulus (must be prime for division)
    perm_k: int = 5              # permutations of perm_k elements (S_5 has 120)
    train_fraction: float = 0.5  # fraction of all equations used for training
    # Model
    n_layers: int = 2
    d_model: int = 128
    n_heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    # Optimisation
    num_steps: int = 7500
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.5    # decoupled (AdamW) weight decay: key for grokking
    beta1: float = 0.9
    beta2: float = 0.98
    warmup_steps: int = 50       # linear learning-rate warm-up, then constant
    grad_clip: float = 1.0       # <= 0 disables clipping
    # Evaluation
    eval_every: int = 25         # evaluate on the full train and val sets every N steps
    eval_batch_size: int = 4096
    # Seeds (each dataset is trained once per seed)
    seeds: tuple = (0, 1, 2)


def make_config() -> Config:
    if SMOKE:
        # Tiny everything: a few seconds on a laptop CPU.
        return Config(
            p=13, perm_k=3, n_layers=1, d_model=32, n_heads=2, mlp_ratio=2,
            num_steps=100, batch_size=64, warmup_steps=10, eval_every=20,
            seeds=(0,),
        )
    return Config()


DATASETS = ["x_plus_y", "x_minus_y", "x_div_y", "permutation"]


# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------


class AlgorithmicDataset:
    """All equations `x op y = z` over a finite set of operands.

    Tokens 0 .. n_out-1 are the operands/answers; two extra tokens stand for the
    operator and "=". An input sequence is [x, OP, y, EQ] and the target is z.
    """

    def __init__(self, name: str, operands_x: list, operands_y: list, n_out: int, fn):
        self.name = name
        self.n_out = n_out          # answers (and operands) are indices 0..n_out-1
        self.op_token = n_out
        self.eq_token = n_out + 1
        self.vocab_size = n_out + 2
        xs, ys, zs = [], [], []
        for a in operands_x:
            for b in operands_y:
                xs.append(a)
                ys.append(b)
                zs.append(fn(a, b))
        x = torch.tensor(xs, dtype=torch.long)
        y = torch.tensor(ys, dtype=torch.long)
        self.inputs = torch.stack(
            [x, torch.full_like(x, self.op_token), y, torch.full_like(x, self.eq_token)], dim=1
        )
        self.targets = torch.tensor(zs, dtype=torch.long)

    def __len__(self):
        return len(self.targets)

    def split(self, train_fraction: float, seed: int):
        """Random train/val split of all equations (fixed by `seed`)."""
        rng = np.random.RandomState(seed)
        perm = torch.from_numpy(rng.permutation(len(self)))
        n_train = int(round(train_fraction * len(self)))
        tr, va = perm[:n_train], perm[n_train:]
        return (self.inputs[tr], self.targets[tr]), (self.inputs[va], self.targets[va])


def make_dataset(name: str, cfg: Config) -> AlgorithmicDataset:
    p = cfg.p
    if name == "x_plus_y":
        return AlgorithmicDataset(name, range(p), range(p), p, lambda a, b: (a + b) % p)
    if name == "x_minus_y":
        return AlgorithmicDataset(name, range(p), range(p), p, lambda a, b: (a - b) % p)
    if name == "x_div_y":
        # x / y = x * y^{-1} mod p; y^{-1} = y^(p-2) mod p by Fermat (p prime). y != 0.
        return AlgorithmicDataset(
            name, range(p), range(1, p), p, lambda a, b: (a * pow(b, p - 2, p)) % p
        )
    if name == "permutation":
        perms = list(itertools.permutations(range(cfg.perm_k)))
        index = {q: i for i, q in enumerate(perms)}

        def compose(a, b):
            # (perms[a] o perms[b])(i) = perms[a][perms[b][i]]
            pa, pb = perms[a], perms[b]
            return index[tuple(pa[pb[i]] for i in range(cfg.perm_k))]

        n = len(perms)
        return AlgorithmicDataset(name, range(n), range(n), n, compose)
    raise ValueError(f"unknown dataset {name}")


# ---------------------------------------------------------------------------
# Model: a small pre-LayerNorm decoder-only transformer
# ---------------------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        assert d_model % n_heads == 0
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, heads, T, head_dim)
        q = q.view(B, T, self.n_heads, -1).transpose(1, 2)
        k = k.view(B, T, self.n_heads, -1).transpose(1, 2)
        v = v.view(B, T, self.n_heads, -1).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf"))
        att = self.dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model),
            nn.GELU(),
            nn.Linear(mlp_ratio * d_model, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, vocab_size: int, n_out: int, seq_len: int, cfg: Config):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(seq_len, cfg.d_model)
        self.blocks = nn.ModuleList(
            [Block(cfg.d_model, cfg.n_heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.n_layers)]
        )
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, n_out)  # predicts only answer tokens

    def forward(self, idx):
        """idx: (B, T) token ids. Returns logits (B, n_out) read at the last position ("=")."""
        T = idx.size(1)
        pos = torch.arange(T, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(pos)[None]
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x[:, -1])
        return self.head(x)


# ---------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------


def set_seed(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@torch.no_grad()
def evaluate(model, inputs, targets, batch_size):
    """Mean loss and accuracy over a whole split."""
    model.eval()
    total_loss, total_correct = 0.0, 0
    for i in range(0, len(targets), batch_size):
        logits = model(inputs[i:i + batch_size])
        y = targets[i:i + batch_size]
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        total_correct += (logits.argmax(-1) == y).sum().item()
    model.train()
    n = max(len(targets), 1)
    return total_loss / n, total_correct / n


def lr_lambda(cfg: Config):
    def f(step):
        return min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return f


def run(dataset_name: str, seed: int, cfg: Config, device: torch.device) -> Dict:
    set_seed(seed)
    ds = make_dataset(dataset_name, cfg)
    (x_tr, y_tr), (x_va, y_va) = ds.split(cfg.train_fraction, seed)
    x_tr, y_tr, x_va, y_va = (t.to(device) for t in (x_tr, y_tr, x_va, y_va))

    model = Transformer(ds.vocab_size, ds.n_out, x_tr.size(1), cfg).to(device)
    # Decoupled weight decay on weight matrices and embeddings (dim >= 2);
    # biases and LayerNorm parameters (dim < 2) are not decayed.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg))

    # Batches are drawn from a seeded CPU generator: identical on CPU and GPU.
    gen = torch.Generator().manual_seed(seed)
    n_train = len(y_tr)
    log = {"seed": seed, "steps": [], "train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    step_val_acc_99 = None
    t0 = time.time()

    def record(step):
        nonlocal step_val_acc_99
        tr_loss, tr_acc = evaluate(model, x_tr, y_tr, cfg.eval_batch_size)
        va_loss, va_acc = evaluate(model, x_va, y_va, cfg.eval_batch_size)
        log["steps"].append(step)
        log["train_loss"].append(tr_loss)
        log["val_loss"].append(va_loss)
        log["train_acc"].append(tr_acc)
        log["val_acc"].append(va_acc)
        if step_val_acc_99 is None and va_acc >= 0.99:
            step_val_acc_99 = step
        return tr_loss, tr_acc, va_loss, va_acc

    record(0)
    model.train()
    for step in range(1, cfg.num_steps + 1):
        # Sample a minibatch of training equations uniformly with replacement.
        idx = torch.randint(n_train, (min(cfg.batch_size, n_train),), generator=gen).to(device)
        logits = model(x_tr[idx])
        loss = F.cross_entropy(logits, y_tr[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()

        if step % cfg.eval_every == 0 or step == cfg.num_steps:
            tr_loss, tr_acc, va_loss, va_acc = record(step)
            if step % (cfg.eval_every * 20) == 0 or step == cfg.num_steps:
                print(f"[{dataset_name} seed {seed}] step {step:5d}  "
                      f"train loss {tr_loss:.4f} acc {tr_acc:.3f}  "
                      f"val loss {va_loss:.4f} acc {va_acc:.3f}  ({time.time() - t0:.1f}s)",
                      flush=True)

    log["final_info"] = {
        "final_train_loss": log["train_loss"][-1],
        "final_val_loss": log["val_loss"][-1],
        "final_train_acc": log["train_acc"][-1],
        "final_val_acc": log["val_acc"][-1],
        # First evaluation step with val accuracy >= 0.99; num_steps if never.
        "step_val_acc_99": step_val_acc_99 if step_val_acc_99 is not None else cfg.num_steps,
    }
    return log


def summarise(logs: List[Dict]) -> Dict:
    metrics = logs[0]["final_info"].keys()
    out = {"means": {}, "stderrs": {}, "final_info_dict": {}}
    for m in metrics:
        vals = np.array([log["final_info"][m] for log in logs], dtype=float)
        out["means"][m] = float(vals.mean())
        out["stderrs"][m] = float(vals.std(ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else 0.0
        out["final_info_dict"][m] = vals.tolist()
    return out


def main():
    parser = argparse.ArgumentParser(description="Grokking on modular arithmetic")
    parser.add_argument("--out_dir", type=str, default="run_0")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    cfg = make_config()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if SMOKE:
        torch.set_num_threads(1)  # tiny tensors: threading only adds overhead
    print(f"device={device} smoke={SMOKE} config={asdict(cfg)}", flush=True)

    final_info, all_results = {}, {}
    t_start = time.time()
    for name in DATASETS:
        logs = [run(name, seed, cfg, device) for seed in cfg.seeds]
        all_results[name] = logs
        final_info[name] = summarise(logs)
        print(f"== {name}: " + ", ".join(f"{k}={v:.4g}" for k, v in final_info[name]["means"].items()),
              flush=True)

    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)
    np.save(os.path.join(args.out_dir, "all_results.npy"), all_results, allow_pickle=True)
    print(f"done in {time.time() - t_start:.1f}s; results in {args.out_dir}", flush=True)


if __name__ == "__main__":
    main()
