"""A small character-level GPT, trained and evaluated on one text corpus.

Usage:  python experiment.py --out_dir=run_0

What it does:
  1. makes sure the corpus is prepared (data/ next to this file; see prepare.py, which downloads
     tiny Shakespeare when it can and otherwise builds a corpus from local text);
  2. for each seed, trains a decoder-only Transformer (token + position embeddings, pre-LayerNorm
     blocks of causal self-attention and an MLP, optional weight tying) to predict the next
     character, evaluating train/val loss every ``eval_interval`` steps;
  3. measures generation speed and keeps a generated text sample;
  4. writes ``<out_dir>/final_info.json`` ({dataset: {"means": {...}, "stderrs": {...}}}) and
     ``<out_dir>/all_results.npy`` (loss curves, samples, configuration) for plot.py.

Metrics (lower loss is better):
  final_train_loss                 train loss estimated at the last step (nats per character)
  best_val_loss                    lowest validation loss seen during training
  total_train_time                 seconds spent in optimisation steps (evaluation excluded)
  avg_inference_tokens_per_second  characters generated per second (batch of one, with KV
                                   recomputation, i.e. plain autoregressive sampling)

With AI_SCIENTIST_SMOKE=1 everything shrinks so the run takes seconds on a CPU.
Only PyTorch 1.13 APIs are used (attention is written out by hand).
"""

import argparse
import json
import math
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")
SMOKE = os.environ.get("AI_SCIENTIST_SMOKE", "") == "1"
DATASET = "char_corpus"  # the condition name used in final_info.json and by plot.py


# ============================================================================ model


@dataclass
class GPTConfig:
    vocab_size: int = 96
    block_size: int = 256  # context length in characters
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    dropout: float = 0.2
    bias: bool = False  # biases in Linear layers and LayerNorms
    tie_weights: bool = True  # share the token embedding with the output projection


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position attends only to itself and the past."""

    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        # lower-triangular mask: mask[i, j] is True where position i may look at position j
        mask = torch.tril(torch.ones(config.block_size, config.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, config.block_size, config.block_size),
                             persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim)
        q = q.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # (B, nh, T, T)
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att.float(), dim=-1).to(q.dtype)
        att = self.attn_dropout(att)
        y = att @ v  # (B, nh, T, head_dim)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm Transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd, config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.tok_emb.weight

        self.apply(self._init_weights)
        # GPT-2 style: scale the residual projections down with depth
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self):
        """Parameters, not counting position embeddings (as usually reported)."""
        return sum(p.numel() for p in self.parameters()) - self.pos_emb.weight.numel()

    def forward(self, idx, targets=None):
        B, T = idx.shape
        assert T <= self.config.block_size, f"sequence of {T} > block_size"
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        if targets is None:  # generation: only the last position's prediction is needed
            return self.lm_head(x[:, -1:, :]), None
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizer(self, weight_decay, learning_rate, betas):
        """AdamW; weight decay on matrices (weights, embeddings), not on gains and biases."""
        params = {id(p): p for p in self.parameters() if p.requires_grad}.values()
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        """Samples max_new_tokens characters after the context idx (B, T)."""
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -self.config.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :].float() / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = float("-inf")
            probs = F.softmax(logits, dim=-1)
            if generator is not None:  # sample on the CPU for reproducibility across devices
                next_id = torch.multinomial(probs.cpu(), 1, generator=generator).to(idx.device)
            else:
                next_id = torch.multinomial(probs, 1)
            idx = torch.cat((idx, next_id), dim=1)
        return idx


# ============================================================================ configuration


@dataclass
class TrainConfig:
    batch_size: int = 64
    max_iters: int = 5000
    learning_rate: float = 1e-3
    min_lr: float = 1e-4  # cosine decay ends here
    warmup_iters: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0  # 0 disables clipping
    eval_interval: int = 250
    eval_iters: int = 200  # batches per loss estimate
    log_interval: int = 50
    sample_tokens: int = 500  # characters generated per sample (inference speed + sample)
    num_samples: int = 3


def make_configs(vocab_size):
    """(model config, training config): full size for a GPU, tiny with AI_SCIENTIST_SMOKE=1."""
    if SMOKE:
        model = GPTConfig(vocab_size=vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=64,
                          dropout=0.0)
        train = TrainConfig(batch_size=8, max_iters=100, learning_rate=2e-3, min_lr=2e-4,
                            warmup_iters=10, eval_interval=25, eval_iters=5, log_interval=20,
                            sample_tokens=64, num_samples=1)
    else:
        model = GPTConfig(vocab_size=vocab_size)
        train = TrainConfig()
    return model, train


def get_lr(it, cfg):
    """Linear warmup, then cosine decay from learning_rate to min_lr at max_iters."""
    if it < cfg.warmup_iters:
        return cfg.learning_rate * (it + 1) / (cfg.warmup_iters + 1)
    progress = min(1.0, (it - cfg.warmup_iters) / max(1, cfg.max_iters - cfg.warmup_iters))
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))  # 1 -> 0
    return cfg.min_lr + cosine * (cfg.learning_rate - cfg.min_lr)


# ============================================================================ data


def load_data(device):
    """(meta, train tokens, val tokens), tokens as int64 tensors on the device."""
    sys.path.insert(0, HERE)
    import prepare  # local module; downloads or builds the corpus if data/ is missing

    meta = prepare.prepare(DATA_DIR)
    train = np.fromfile(os.path.join(DATA_DIR, "train.bin"), dtype=np.uint16)
    val = np.fromfile(os.path.join(DATA_DIR, "val.bin"), dtype=np.uint16)
    to_tensor = lambda a: torch.from_numpy(a.astype(np.int64)).to(device)  # noqa: E731
    return meta, to_tensor(train), to_tensor(val)


def get_batch(data, batch_size, block_size, generator):
    """Random windows of block_size characters (x) and the same shifted by one (y)."""
    ix = torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator)
    offsets = ix.to(data.device)[:, None] + torch.arange(block_size, device=data.device)
    return data[offsets], data[offsets + 1]


@torch.no_grad()
def estimate_loss(model, splits, tcfg, block_size, seed, autocast):
    """Mean loss over eval_iters batches per split; the same batches at every evaluation."""
    model.eval()
    out = {}
    for name, data in splits.items():
        gen = torch.Generator().manual_seed(10_000 + seed)
        losses = torch.zeros(tcfg.eval_iters)
        for k in range(tcfg.eval_iters):
            x, y = get_batch(data, tcfg.batch_size, block_size, gen)
            with autocast:
                _, loss = model(x, y)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    model.train()
    return out


# ============================================================================ one run


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_one_seed(seed, meta, train_data, val_data, device, max_iters=None):
    torch.manual_seed(seed)
    np.random.seed(seed)
    mcfg, tcfg = make_configs(meta["vocab_size"])
    if max_iters is not None:  # quick checks: fewer iterations, same schedule shape
        tcfg.max_iters = max_iters
        tcfg.warmup_iters = min(tcfg.warmup_iters, max_iters // 10)
        tcfg.eval_interval = min(tcfg.eval_interval, max(1, max_iters // 4))
    model = GPT(mcfg).to(device)
    optimizer = model.configure_optimizer(tcfg.weight_decay, tcfg.learning_rate,
                                          (tcfg.beta1, tcfg.beta2))
    use_bf16 = device.startswith("cuda") and torch.cuda.is_bf16_supported()
    autocast = (torch.autocast(device_type="cuda", dtype=torch.bfloat16) if use_bf16
                else nullcontext())
    print(f"[seed {seed}] {model.num_params() / 1e6:.2f}M parameters, device {device}"
          f"{' (bf16 autocast)' if use_bf16 else ''}, {tcfg.max_iters} iterations")

    splits = {"train": train_data, "val": val_data}
    batch_gen = torch.Generator().manual_seed(seed)
    log = {"eval_iters": [], "train_loss": [], "val_loss": [], "step_iters": [], "step_loss": []}
    best_val = float("inf")
    train_time = 0.0

    for it in range(tcfg.max_iters + 1):
        # ---- evaluation (not counted in the training time)
        if it % tcfg.eval_interval == 0 or it == tcfg.max_iters:
            losses = estimate_loss(model, splits, tcfg, mcfg.block_size, seed, autocast)
            best_val = min(best_val, losses["val"])
            log["eval_iters"].append(it)
            log["train_loss"].append(losses["train"])
            log["val_loss"].append(losses["val"])
            print(f"[seed {seed}] iter {it}: train loss {losses['train']:.4f}, "
                  f"val loss {losses['val']:.4f}, train time {train_time:.1f}s")
        if it == tcfg.max_iters:
            break

        # ---- one optimisation step
        sync(device)
        t0 = time.time()
        lr = get_lr(it, tcfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch(train_data, tcfg.batch_size, mcfg.block_size, batch_gen)
        with autocast:
            _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if tcfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
        optimizer.step()
        sync(device)
        train_time += time.time() - t0
        if it % tcfg.log_interval == 0:
            log["step_iters"].append(it)
            log["step_loss"].append(loss.item())

    # ---- inference speed and a text sample
    model.eval()
    chars = meta["chars"]
    start = chars.index("\n") if "\n" in chars else 0
    sample_gen = torch.Generator().manual_seed(seed)
    samples, total_time = [], 0.0
    for _ in range(tcfg.num_samples):
        context = torch.full((1, 1), start, dtype=torch.long, device=device)
        sync(device)
        t0 = time.time()
        with autocast:
            out = model.generate(context, tcfg.sample_tokens, temperature=0.8, top_k=40,
                                 generator=sample_gen)
        sync(device)
        total_time += time.time() - t0
        samples.append("".join(chars[i] for i in out[0].tolist()))
    tokens_per_s = tcfg.sample_tokens * tcfg.num_samples / max(total_time, 1e-9)
    print(f"[seed {seed}] sample:\n{samples[0][:300]}\n[seed {seed}] "
          f"{tokens_per_s:.1f} tokens/s at inference")

    metrics = {
        "final_train_loss": log["train_loss"][-1],
        "best_val_loss": best_val,
        "total_train_time": train_time,
        "avg_inference_tokens_per_second": tokens_per_s,
    }
    details = {**log, "samples": samples, "model_config": asdict(mcfg),
               "train_config": asdict(tcfg), "num_params": model.num_params()}
    return metrics, details


# ============================================================================ main


def main():
    parser = argparse.ArgumentParser(description="Train a character-level GPT.")
    parser.add_argument("--out_dir", type=str, default="run_0")
    parser.add_argument("--num_seeds", type=int, default=1, help="independent runs to average")
    parser.add_argument("--device", type=str, default=None, help="default: cuda if available")
    parser.add_argument("--max_iters", type=int, default=None, help="override the iterations")
    args = parser.parse_args()

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.out_dir, exist_ok=True)
    t_start = time.time()
    meta, train_data, val_data = load_data(device)
    print(f"corpus '{meta['source']}': {meta['n_train']} train / {meta['n_val']} val characters, "
          f"vocabulary {meta['vocab_size']}{' [smoke mode]' if SMOKE else ''}")

    per_seed, details = [], []
    for seed in range(args.num_seeds):
        m, d = train_one_seed(seed, meta, train_data, val_data, device, args.max_iters)
        per_seed.append(m)
        details.append(d)

    # mean and standard error over seeds
    means, stderrs = {}, {}
    for key in per_seed[0]:
        values = np.array([m[key] for m in per_seed], dtype=np.float64)
        means[key] = float(values.mean())
        n = len(values)
        stderrs[key] = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0

    final_info = {DATASET: {"means": means, "stderrs": stderrs}}
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)

    all_results = {
        DATASET: {
            "corpus_source": meta["source"],
            "seeds": list(range(args.num_seeds)),
            "per_seed_metrics": per_seed,
            "eval_iters": details[0]["eval_iters"],
            "train_loss": [d["train_loss"] for d in details],  # [seed][eval point]
            "val_loss": [d["val_loss"] for d in details],
            "step_iters": details[0]["step_iters"],
            "step_loss": [d["step_loss"] for d in details],  # minibatch losses
            "samples": [d["samples"] for d in details],
            "model_config": details[0]["model_config"],
            "train_config": details[0]["train_config"],
            "num_params": details[0]["num_params"],
        }
    }
    np.save(os.path.join(args.out_dir, "all_results.npy"), all_results, allow_pickle=True)
    print(json.dumps(final_info, indent=2))
    print(f"done in {time.time() - t_start:.1f}s; results in {args.out_dir}/")


if __name__ == "__main__":
    main()
