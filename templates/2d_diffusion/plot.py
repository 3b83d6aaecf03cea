"""Plots for the 2-D diffusion template.

Reads the run folders (run_0, run_1, ...) in the working directory and writes
    train_loss.png          training loss curves, one panel per dataset, one line per run
    generated_samples.png   a grid: one row per run (plus the real data), one column per dataset
    kl_divergence.png       the k-NN KL estimate per dataset and run (bar chart)

Edit `labels` to choose which runs are shown and how they are named in the legends.
"""

import json
import os
import pickle
import tempfile

# run folder -> legend label. Only the runs named here are plotted.
labels = {
    "run_0": "Baseline",
}


def _ensure_matplotlib_config_dir():
    """Point MPLCONFIGDIR at a writable folder (a sandbox may have a read-only home)."""
    candidates = [os.environ.get("MPLCONFIGDIR"),
                  os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "matplotlib"),
                  os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")]
    ok = True
    for path in [c for c in candidates if c]:
        try:
            os.makedirs(path, exist_ok=True)
            ok = ok and os.access(path, os.W_OK)
        except OSError:
            ok = False
    if not ok:
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="mplconfig-")


_ensure_matplotlib_config_dir()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DATASETS = ["circle", "two_moons", "line", "spiral"]


def smooth(values, window):
    """Moving average (the loss of single minibatches is very noisy)."""
    values = np.asarray(values, dtype=np.float64)
    window = max(1, min(window, len(values)))
    if window == 1:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def load_runs():
    runs = {}
    for folder, label in labels.items():
        path = os.path.join(folder, "all_results.pkl")
        if not os.path.isfile(path):
            print(f"note: skipping {folder} ({label}): no {path}")
            continue
        with open(path, "rb") as f:
            results = pickle.load(f)
        info_path = os.path.join(folder, "final_info.json")
        info = {}
        if os.path.isfile(info_path):
            with open(info_path) as f:
                info = json.load(f)
        runs[folder] = {"label": label, "results": results, "info": info}
    return runs


def datasets_in(runs):
    found = []
    for run in runs.values():
        for name in run["results"]:
            if name != "config" and name not in found:
                found.append(name)
    ordered = [d for d in DATASETS if d in found]
    return ordered + [d for d in found if d not in ordered]


def plot_losses(runs, datasets):
    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.5), squeeze=False)
    colors = plt.get_cmap("tab10")
    for j, name in enumerate(datasets):
        ax = axes[0, j]
        for i, run in enumerate(runs.values()):
            if name not in run["results"]:
                continue
            losses = run["results"][name]["train_losses"]
            window = max(1, len(losses) // 50)
            curve = smooth(losses, window)
            steps = np.arange(len(curve)) + window
            ax.plot(steps, curve, label=run["label"], color=colors(i % 10))
        ax.set_title(name)
        ax.set_xlabel("training step")
        ax.set_yscale("log")
        if j == 0:
            ax.set_ylabel("training loss (moving average)")
    axes[0, 0].legend()
    fig.tight_layout()
    fig.savefig("train_loss.png", dpi=150)
    plt.close(fig)
    print("wrote train_loss.png")


def plot_samples(runs, datasets):
    rows = [("Real data", None)] + [(run["label"], run) for run in runs.values()]
    fig, axes = plt.subplots(len(rows), len(datasets), figsize=(3 * len(datasets), 3 * len(rows)),
                             squeeze=False)
    for j, name in enumerate(datasets):
        # the same limits for the whole column, taken from the real data
        # (from the run that kept the most held-out points)
        real = max((run["results"][name]["real"] for run in runs.values() if name in run["results"]),
                   key=len)
        lo, hi = real.min(axis=0), real.max(axis=0)
        pad = 0.15 * (hi - lo).max()
        for i, (row_label, run) in enumerate(rows):
            ax = axes[i, j]
            if run is None:
                points = real
            elif name in run["results"]:
                points = run["results"][name]["samples"]
            else:
                ax.axis("off")
                continue
            ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.4, color="tab:gray" if run is None else "tab:blue")
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(lo[1] - pad, hi[1] + pad)
            ax.set_aspect("equal", adjustable="box")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(name)
            if j == 0:
                ax.set_ylabel(row_label)
    fig.tight_layout()
    fig.savefig("generated_samples.png", dpi=150)
    plt.close(fig)
    print("wrote generated_samples.png")


def plot_kl(runs, datasets):
    width = 0.8 / max(1, len(runs))
    x = np.arange(len(datasets))
    fig, ax = plt.subplots(figsize=(1.8 * len(datasets) + 2, 3.5))
    plotted = False
    for i, run in enumerate(runs.values()):
        values = [run["info"].get(d, {}).get("means", {}).get("kl_divergence", np.nan)
                  if isinstance(run["info"].get(d, {}).get("means"), dict) else np.nan for d in datasets]
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, values, width, label=run["label"])
        plotted = plotted or not np.all(np.isnan(values))
    ax.set_xticks(x)
    ax.set_xticklabels(datasets)
    ax.set_ylabel("KL(real || generated), k-NN estimate")
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.legend()
    fig.tight_layout()
    if plotted:
        fig.savefig("kl_divergence.png", dpi=150)
        print("wrote kl_divergence.png")
    else:
        print("note: no kl_divergence values in final_info.json; kl_divergence.png not written")
    plt.close(fig)


def main():
    runs = load_runs()
    if not runs:
        print("note: none of the runs named in `labels` has results; nothing to plot")
        return
    datasets = datasets_in(runs)
    plot_losses(runs, datasets)
    plot_samples(runs, datasets)
    plot_kl(runs, datasets)


if __name__ == "__main__":
    main()
