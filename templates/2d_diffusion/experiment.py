"""Denoising diffusion (DDPM) on 2-D point clouds.

One experiment = train one small DDPM per dataset, then measure
  * training_time   wall-clock seconds spent in the training loop,
  * eval_loss       the denoising (epsilon-prediction) MSE on held-out points,
  * inference_time  wall-clock seconds spent drawing samples with the reverse chain,
  * kl_divergence   a k-nearest-neighbour estimate of KL(real || generated).

Usage:
    python experiment.py --out_dir=run_0

Writes
    <out_dir>/final_info.json   {dataset: {"means": {metric: value}}}
    <out_dir>/all_results.pkl   {dataset: {"train_losses", "samples", "real", ...}} for plot.py

Set AI_SCIENTIST_SMOKE=1 for a tiny configuration that finishes in seconds on a CPU.

Everything is plain PyTorch (1.13 API) + numpy (+ scipy's k-d tree when installed); the datasets
are generated in code, so the experiment needs no downloads.
"""

import argparse
import json
import math
import os
import pickle
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # scipy's k-d tree is fast; without scipy a chunked brute-force search gives the same numbers
    from scipy.spatial import cKDTree
except ImportError:  # pragma: no cover
    cKDTree = None

# --------------------------------------------------------------------------------------------
# Configuration. Every knob of the experiment lives here so that it is easy to change.
# --------------------------------------------------------------------------------------------

SMOKE = os.environ.get("AI_SCIENTIST_SMOKE", "") not in ("", "0")

CONFIG = {
    "datasets": ["circle", "two_moons", "line", "spiral"],
    "seed": 0,
    # data
    "n_train_points": 100_000,   # points in each training set
    "n_eval_points": 10_000,     # held-out points (eval loss and the "real" side of the KL)
    # diffusion process
    "num_timesteps": 100,
    "beta_schedule": "linear",   # "linear" or "cosine"
    "max_beta": 0.5,             # betas are clipped here so 1/sqrt(alpha_t) stays bounded
    # denoiser
    "hidden_size": 256,
    "num_blocks": 3,
    "embedding_size": 128,       # size of each sinusoidal embedding (x, y and t)
    "input_scale": 25.0,         # frequency scale of the input embedding (helps low-dim data)
    # optimisation
    "train_steps": 10_000,
    "batch_size": 256,
    "learning_rate": 1e-3,
    "weight_decay": 0.0,
    "warmup_steps": 100,
    "ema_decay": 0.995,          # the EMA weights are used for evaluation and sampling
    "grad_clip": 1.0,
    # evaluation
    "n_samples": 10_000,         # generated points per dataset
    "kl_k": 5,                   # k of the k-NN KL estimator
    "log_every": 1000,
}

if SMOKE:
    # Tiny configuration: the whole run (4 datasets) takes a few seconds on a laptop CPU.
    CONFIG.update({
        "n_train_points": 500,
        "n_eval_points": 500,
        "num_timesteps": 20,
        "hidden_size": 64,
        "num_blocks": 2,
        "embedding_size": 16,
        "train_steps": 200,
        "batch_size": 128,
        "warmup_steps": 10,
        "ema_decay": 0.9,
        "n_samples": 500,
        "log_every": 50,
    })


def set_seed(seed):
    """Seed every random number generator we use."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


# --------------------------------------------------------------------------------------------
# Datasets: 2-D point clouds generated with numpy. Each function returns an (n, 2) float array.
# A little Gaussian noise gives every set a proper 2-D density, which the k-NN KL estimator needs.
# --------------------------------------------------------------------------------------------

def make_circle(n, rng):
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = 1.0 + 0.03 * rng.standard_normal(n)
    return np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)


def make_two_moons(n, rng):
    """Two interleaving half circles (the classic 'moons' toy set), our own implementation."""
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = rng.uniform(0.0, np.pi, n_upper)
    t_lower = rng.uniform(0.0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    points = np.concatenate([upper, lower], axis=0)
    points += 0.05 * rng.standard_normal(points.shape)
    return points[rng.permutation(n)]


def make_line(n, rng):
    """A thin diagonal segment."""
    s = rng.uniform(-1.0, 1.0, n)
    points = np.stack([s, 0.5 * s], axis=1)
    return points + 0.02 * rng.standard_normal(points.shape)


def make_spiral(n, rng):
    """One arm of an Archimedean spiral, about 1.5 turns, points uniform along the arm's angle."""
    theta = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi   # sqrt: more points on the outer arm
    radius = theta / (3.0 * np.pi)
    points = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    return points + 0.02 * rng.standard_normal(points.shape)


DATASETS = {
    "circle": make_circle,
    "two_moons": make_two_moons,
    "line": make_line,
    "spiral": make_spiral,
}


def get_dataset(name, n_train, n_eval, seed):
    """Training and held-out sets, standardised with the training set's statistics.

    Standardisation: subtract the mean, divide by one scalar standard deviation (so shapes keep
    their aspect ratio). The data then has roughly unit scale, like the N(0, I) prior.
    """
    rng_train = np.random.default_rng(seed)
    rng_eval = np.random.default_rng(seed + 10_000)
    train = DATASETS[name](n_train, rng_train)
    held_out = DATASETS[name](n_eval, rng_eval)
    mean = train.mean(axis=0, keepdims=True)
    std = train.std()
    return ((train - mean) / std).astype(np.float32), ((held_out - mean) / std).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Denoiser: an MLP on sinusoidal embeddings of x, y and t, with residual blocks.
# --------------------------------------------------------------------------------------------

class SinusoidalEmbedding(nn.Module):
    """Transformer-style sin/cos features of a scalar: [sin(s*x*w_i), cos(s*x*w_i)]."""

    def __init__(self, size, scale=1.0):
        super().__init__()
        self.size = size
        self.scale = scale

    def forward(self, x):
        x = x.float() * self.scale
        half = self.size // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=x.device) / max(half - 1, 1))
        args = x[:, None] * freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class ResidualBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.ff = nn.Linear(width, width)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.act(self.ff(self.norm(x)))


class MLPDenoiser(nn.Module):
    """Predicts the noise eps added to x_0, given x_t and the timestep t."""

    def __init__(self, embedding_size, hidden_size, num_blocks, input_scale):
        super().__init__()
        self.time_embedding = SinusoidalEmbedding(embedding_size)
        self.input_embedding_x = SinusoidalEmbedding(embedding_size, scale=input_scale)
        self.input_embedding_y = SinusoidalEmbedding(embedding_size, scale=input_scale)
        in_features = 3 * embedding_size
        self.network = nn.Sequential(
            nn.Linear(in_features, hidden_size),
            *[ResidualBlock(hidden_size) for _ in range(num_blocks)],
            nn.LayerNorm(hidden_size),
            nn.Linear(hidden_size, 2),
        )

    def forward(self, x, t):
        features = torch.cat([
            self.input_embedding_x(x[:, 0]),
            self.input_embedding_y(x[:, 1]),
            self.time_embedding(t),
        ], dim=-1)
        return self.network(features)


# --------------------------------------------------------------------------------------------
# The diffusion process (Ho et al., 2020).
# --------------------------------------------------------------------------------------------

class NoiseScheduler:
    """Forward process q(x_t | x_0) and the ancestral reverse step of DDPM."""

    def __init__(self, num_timesteps, beta_schedule="linear", max_beta=0.5, device="cpu"):
        self.num_timesteps = num_timesteps
        if beta_schedule == "linear":
            # The usual 1e-4 .. 0.02 range for 1000 steps, rescaled to num_timesteps steps
            # so that the chain ends close to N(0, I) whatever its length.
            scale = 1000.0 / num_timesteps
            betas = np.linspace(scale * 1e-4, scale * 0.02, num_timesteps, dtype=np.float64)
        elif beta_schedule == "cosine":
            # Nichol & Dhariwal (2021): alpha_bar(t) = cos^2(((t/T + s) / (1 + s)) * pi / 2).
            s = 0.008
            steps = np.arange(num_timesteps + 1, dtype=np.float64) / num_timesteps
            alpha_bar = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
            betas = 1.0 - alpha_bar[1:] / alpha_bar[:-1]
        else:
            raise ValueError(f"unknown beta schedule {beta_schedule!r}")
        betas = np.clip(betas, 0.0, max_beta)
        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas)
        alphas_cumprod_prev = np.concatenate([[1.0], alphas_cumprod[:-1]])

        def tensor(a):
            return torch.tensor(a, dtype=torch.float32, device=device)

        self.betas = tensor(betas)
        self.alphas = tensor(alphas)
        self.alphas_cumprod = tensor(alphas_cumprod)
        self.sqrt_alphas_cumprod = tensor(np.sqrt(alphas_cumprod))
        self.sqrt_one_minus_alphas_cumprod = tensor(np.sqrt(1.0 - alphas_cumprod))
        # q(x_{t-1} | x_t, x_0) = N(coef_x0 * x_0 + coef_xt * x_t, posterior_variance)
        self.posterior_coef_x0 = tensor(betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod))
        self.posterior_coef_xt = tensor((1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod))
        self.posterior_variance = tensor(betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod))

    def add_noise(self, x0, noise, t):
        """Sample x_t ~ q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)."""
        a = self.sqrt_alphas_cumprod[t][:, None]
        b = self.sqrt_one_minus_alphas_cumprod[t][:, None]
        return a * x0 + b * noise

    def predict_x0(self, xt, t, eps):
        a = self.sqrt_alphas_cumprod[t]
        b = self.sqrt_one_minus_alphas_cumprod[t]
        return (xt - b * eps) / a

    def step(self, eps, t, xt, generator=None):
        """One reverse step x_t -> x_{t-1} (t is a python int shared by the whole batch)."""
        x0 = self.predict_x0(xt, t, eps)
        mean = self.posterior_coef_x0[t] * x0 + self.posterior_coef_xt[t] * xt
        if t == 0:
            return mean
        noise = torch.randn(xt.shape, generator=generator, device=xt.device)
        return mean + torch.sqrt(self.posterior_variance[t]) * noise


# --------------------------------------------------------------------------------------------
# k-nearest-neighbour KL divergence (Wang, Kulkarni & Verdu, 2009).
# --------------------------------------------------------------------------------------------

def kth_neighbour_distance(queries, points, k, chunk=2048):
    """Distance from each query to its k-th nearest neighbour in points (k counts from 1)."""
    if cKDTree is not None:
        dist = cKDTree(points).query(queries, k=k)[0]
        return dist[:, k - 1] if dist.ndim == 2 else dist
    out = np.empty(len(queries))
    sq_points = np.sum(points ** 2, axis=1)
    for i in range(0, len(queries), chunk):
        q = queries[i:i + chunk]
        d2 = np.sum(q ** 2, axis=1)[:, None] - 2.0 * q @ points.T + sq_points[None, :]
        out[i:i + chunk] = np.sqrt(np.maximum(np.partition(d2, k - 1, axis=1)[:, k - 1], 0.0))
    return out


def knn_kl_divergence(p_samples, q_samples, k=5):
    """Estimate KL(P || Q) from samples x_1..x_n ~ P and y_1..y_m ~ Q:

        D = (d / n) * sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))

    rho_k(i): distance from x_i to its k-th nearest neighbour among the other x's,
    nu_k(i):  distance from x_i to its k-th nearest neighbour among the y's.
    The estimate is consistent but, on finite samples, may be slightly negative.
    """
    p = np.asarray(p_samples, dtype=np.float64)
    q = np.asarray(q_samples, dtype=np.float64)
    n, d = p.shape
    m = q.shape[0]
    rho = kth_neighbour_distance(p, p, k + 1)             # the nearest "neighbour" is x_i itself
    nu = kth_neighbour_distance(p, q, k)
    eps = 1e-12                                           # guards against duplicate points
    return float(d * np.mean(np.log((nu + eps) / (rho + eps))) + np.log(m / (n - 1)))


# --------------------------------------------------------------------------------------------
# Training, evaluation and sampling for one dataset.
# --------------------------------------------------------------------------------------------

def ema_update(ema_model, model, decay):
    with torch.no_grad():
        for p_ema, p in zip(ema_model.parameters(), model.parameters()):
            p_ema.mul_(decay).add_(p.detach(), alpha=1.0 - decay)


@torch.no_grad()
def evaluate_loss(model, scheduler, data, device, seed, batch_size=10_000):
    """Denoising MSE on held-out points, with fixed (seeded) timesteps and noise."""
    model.eval()
    g = torch.Generator(device="cpu").manual_seed(seed)
    x0 = torch.from_numpy(data)
    t = torch.randint(0, scheduler.num_timesteps, (len(x0),), generator=g)
    noise = torch.randn(x0.shape, generator=g)
    total, count = 0.0, 0
    for i in range(0, len(x0), batch_size):
        xb, tb, nb = x0[i:i + batch_size].to(device), t[i:i + batch_size].to(device), noise[i:i + batch_size].to(device)
        pred = model(scheduler.add_noise(xb, nb, tb), tb)
        total += F.mse_loss(pred, nb, reduction="sum").item() / 2
        count += len(xb)
    return total / count


@torch.no_grad()
def sample(model, scheduler, n, device, seed):
    """Ancestral sampling: x_T ~ N(0, I), then T reverse steps."""
    model.eval()
    g = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn((n, 2), generator=g, device=device)
    for t in reversed(range(scheduler.num_timesteps)):
        t_batch = torch.full((n,), t, dtype=torch.long, device=device)
        eps = model(x, t_batch)
        x = scheduler.step(eps, t, x, generator=g)
    return x


def run_dataset(name, cfg, device):
    print(f"\n=== {name} ===", flush=True)
    seed = cfg["seed"]
    set_seed(seed)
    train_np, eval_np = get_dataset(name, cfg["n_train_points"], cfg["n_eval_points"], seed)
    train_data = torch.from_numpy(train_np).to(device)

    model = MLPDenoiser(cfg["embedding_size"], cfg["hidden_size"], cfg["num_blocks"], cfg["input_scale"]).to(device)
    ema_model = MLPDenoiser(cfg["embedding_size"], cfg["hidden_size"], cfg["num_blocks"], cfg["input_scale"]).to(device)
    ema_model.load_state_dict(model.state_dict())
    for p in ema_model.parameters():
        p.requires_grad_(False)
    scheduler = NoiseScheduler(cfg["num_timesteps"], cfg["beta_schedule"], cfg["max_beta"], device=device)

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["learning_rate"], weight_decay=cfg["weight_decay"])
    total_steps, warmup = cfg["train_steps"], cfg["warmup_steps"]

    def lr_lambda(step):
        # linear warm-up, then cosine decay to zero
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model parameters: {n_params}, train points: {len(train_np)}, steps: {total_steps}", flush=True)

    # ---- training -------------------------------------------------------------------------
    losses = torch.zeros(total_steps, device=device)   # kept on the device: no sync per step
    model.train()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.time()
    for step in range(total_steps):
        idx = torch.randint(0, len(train_data), (cfg["batch_size"],), device=device)
        x0 = train_data[idx]
        noise = torch.randn_like(x0)
        t = torch.randint(0, scheduler.num_timesteps, (len(x0),), device=device)
        pred = model(scheduler.add_noise(x0, noise, t), t)
        loss = F.mse_loss(pred, noise)

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg["grad_clip"]:
            nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        optimizer.step()
        lr_schedule.step()
        ema_update(ema_model, model, cfg["ema_decay"])
        losses[step] = loss.detach()

        if (step + 1) % cfg["log_every"] == 0 or step + 1 == total_steps:
            recent = losses[max(0, step + 1 - cfg["log_every"]):step + 1].mean().item()
            print(f"[{name}] step {step + 1}/{total_steps}  loss {recent:.4f}  "
                  f"({time.time() - start:.1f}s)", flush=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    training_time = time.time() - start

    # ---- evaluation -----------------------------------------------------------------------
    eval_loss = evaluate_loss(ema_model, scheduler, eval_np, device, seed + 1)

    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.time()
    samples = sample(ema_model, scheduler, cfg["n_samples"], device, seed + 2)
    if device.type == "cuda":
        torch.cuda.synchronize()
    inference_time = time.time() - start
    samples = samples.cpu().numpy()

    if not np.all(np.isfinite(samples)):
        print(f"[{name}] warning: non-finite samples; KL computed on the finite ones", flush=True)
    finite = samples[np.all(np.isfinite(samples), axis=1)]
    kl = knn_kl_divergence(eval_np, finite, k=cfg["kl_k"]) if len(finite) > cfg["kl_k"] else float("nan")

    metrics = {
        "training_time": training_time,
        "eval_loss": eval_loss,
        "inference_time": inference_time,
        "kl_divergence": kl,
    }
    print(f"[{name}] " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()), flush=True)
    details = {
        "train_losses": losses.cpu().numpy(),
        "samples": samples,
        "real": eval_np,
    }
    return metrics, details


def main():
    parser = argparse.ArgumentParser(description="DDPM on 2-D point clouds")
    parser.add_argument("--out_dir", type=str, default="run_0")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"device: {device}, smoke: {SMOKE}", flush=True)
    print("config: " + json.dumps(CONFIG), flush=True)

    final_info, all_results = {}, {"config": dict(CONFIG)}
    for name in CONFIG["datasets"]:
        metrics, details = run_dataset(name, CONFIG, device)
        final_info[name] = {"means": metrics}
        all_results[name] = details

    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump(final_info, f, indent=2)
    with open(os.path.join(args.out_dir, "all_results.pkl"), "wb") as f:
        pickle.dump(all_results, f)
    print(f"\nwrote {args.out_dir}/final_info.json and {args.out_dir}/all_results.pkl", flush=True)


if __name__ == "__main__":
    main()
