"""Plots the runs of this folder: python plot.py

Reads run*/all_results.npy and run*/final_info.json for the runs named in ``labels`` and writes,
into the current folder:

  train_loss_<dataset>.png   estimated train loss against iteration, one line per run
  val_loss_<dataset>.png     validation loss against iteration, one line per run
  best_val_loss.png          bar chart of each run's best validation loss

Lines are the mean over seeds, with a band of one standard error when a run has several seeds.
"""

import json
import os
import tempfile

# matplotlib wants a writable config/cache folder; sandboxes may have a read-only HOME
if "MPLCONFIGDIR" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="mplconfig_")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Run folder -> legend label. Only the runs listed here are plotted; add one line per new run,
# e.g. "run_1": "Rotary positions".
labels = {
    "run_0": "Baseline",
}


def load_runs():
    """{run: (all_results dict, final_info dict)} for the labelled runs that exist."""
    runs = {}
    for run in labels:
        results_path = os.path.join(run, "all_results.npy")
        if not os.path.exists(results_path):
            print(f"note: {run} ({labels[run]}) has no {results_path}; skipping it")
            continue
        results = np.load(results_path, allow_pickle=True).item()
        info = {}
        info_path = os.path.join(run, "final_info.json")
        if os.path.exists(info_path):
            with open(info_path) as f:
                info = json.load(f)
        runs[run] = (results, info)
    unlabelled = sorted(d for d in os.listdir(".") if d.startswith("run") and os.path.isdir(d)
                        and d not in labels)
    if unlabelled:
        print(f"note: not plotted (not in labels): {', '.join(unlabelled)}")
    return runs


def mean_and_stderr(curves):
    """Mean and standard error over seeds of equally long curves."""
    arr = np.array(curves, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    mean = arr.mean(axis=0)
    stderr = arr.std(axis=0, ddof=1) / np.sqrt(arr.shape[0]) if arr.shape[0] > 1 else None
    return mean, stderr


def plot_curves(runs, dataset, key, ylabel, filename, colors):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (run, (results, _)) in enumerate(runs.items()):
        if dataset not in results:
            continue
        r = results[dataset]
        iters = np.array(r["eval_iters"])
        mean, stderr = mean_and_stderr(r[key])
        ax.plot(iters, mean, label=labels[run], color=colors(i % 10))
        if stderr is not None:
            ax.fill_between(iters, mean - stderr, mean + stderr, color=colors(i % 10), alpha=0.2)
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{ylabel} on {dataset}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(filename, dpi=150)
    plt.close(fig)
    print(f"wrote {filename}")


def plot_best_val(runs, colors):
    names, values, errors = [], [], []
    for run, (_, info) in runs.items():
        for dataset, entry in info.items():
            means = entry.get("means", entry) if isinstance(entry, dict) else {}
            if "best_val_loss" in means:
                names.append(labels[run] if len(info) == 1 else f"{labels[run]} ({dataset})")
                values.append(means["best_val_loss"])
                errors.append(entry.get("stderrs", {}).get("best_val_loss", 0.0))
    if not names:
        return
    fig, ax = plt.subplots(figsize=(max(4, 1.3 * len(names) + 2), 4.5))
    bar_colors = [colors(i % 10) for i in range(len(names))]
    ax.bar(range(len(names)), values, yerr=errors, color=bar_colors)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, ha="right")
    ax.set_ylabel("best validation loss (nats/char)")
    lo, hi = min(values), max(values)
    ax.set_ylim(max(0.0, lo - 0.1 * max(hi - lo, 0.5)), hi + 0.1 * max(hi - lo, 0.5))
    fig.tight_layout()
    fig.savefig("best_val_loss.png", dpi=150)
    plt.close(fig)
    print("wrote best_val_loss.png")


def main():
    runs = load_runs()
    if not runs:
        print("nothing to plot: none of the labelled runs has results")
        return
    colors = plt.get_cmap("tab10")
    datasets = sorted({d for results, _ in runs.values() for d in results})
    for dataset in datasets:
        plot_curves(runs, dataset, "train_loss", "train loss", f"train_loss_{dataset}.png", colors)
        plot_curves(runs, dataset, "val_loss", "validation loss", f"val_loss_{dataset}.png", colors)
    plot_best_val(runs, colors)


if __name__ == "__main__":
    main()
