"""Plot training curves of the grokking runs in the current directory.

Reads run*/final_info.json and run*/all_results.npy (written by experiment.py) for
every run folder named in `labels`, and writes into the current directory:

    train_loss_<dataset>.png, val_loss_<dataset>.png,
    train_acc_<dataset>.png,  val_acc_<dataset>.png     (one line per run, mean over
                                                         seeds, shaded standard error)
    step_val_acc_99.png                                  (bar chart across runs)
"""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Run folder -> legend label. Only the runs listed here are plotted.
labels = {
    "run_0": "Baselines",
}


def load_run(folder):
    """Returns (final_info, all_results) or None when the run is missing/incomplete."""
    info_path = os.path.join(folder, "final_info.json")
    res_path = os.path.join(folder, "all_results.npy")
    if not (os.path.isfile(info_path) and os.path.isfile(res_path)):
        return None
    with open(info_path) as f:
        final_info = json.load(f)
    all_results = np.load(res_path, allow_pickle=True).item()
    return final_info, all_results


def mean_curve(logs, key):
    """Mean and standard error over seeds of one logged curve (truncated to the shortest)."""
    n = min(len(log[key]) for log in logs)
    steps = np.asarray(logs[0]["steps"][:n])
    vals = np.array([log[key][:n] for log in logs], dtype=float)
    mean = vals.mean(axis=0)
    se = vals.std(axis=0, ddof=1) / np.sqrt(len(logs)) if len(logs) > 1 else np.zeros_like(mean)
    return steps, mean, se


def main():
    runs = {}
    # Keep only run* folders that exist and are complete.
    for folder, label in labels.items():
        if not folder.startswith("run") or not os.path.isdir(folder):
            print(f"note: run folder '{folder}' not found; skipping")
            continue
        loaded = load_run(folder)
        if loaded is None:
            print(f"note: '{folder}' has no final_info.json/all_results.npy; skipping")
            continue
        runs[folder] = (label, loaded)
    if not runs:
        print("nothing to plot")
        return

    datasets = []
    for _, (_, (_, all_results)) in runs.items():
        for name in all_results:
            if name not in datasets:
                datasets.append(name)

    colors = plt.get_cmap("tab10")
    curves = [
        ("train_loss", "Training loss", True),
        ("val_loss", "Validation loss", True),
        ("train_acc", "Training accuracy", False),
        ("val_acc", "Validation accuracy", False),
    ]
    written = []
    for name in datasets:
        for key, title, log_scale in curves:
            fig, ax = plt.subplots(figsize=(7, 4.5))
            for i, (folder, (label, (_, all_results))) in enumerate(runs.items()):
                logs = all_results.get(name)
                if not logs:
                    continue
                steps, mean, se = mean_curve(logs, key)
                ax.plot(steps, mean, label=label, color=colors(i % 10))
                ax.fill_between(steps, mean - se, mean + se, color=colors(i % 10), alpha=0.2)
            if log_scale:
                ax.set_yscale("log")
            ax.set_xlabel("Update step")
            ax.set_ylabel(title)
            ax.set_title(f"{title}: {name}")
            ax.grid(True, alpha=0.3)
            ax.legend()
            fig.tight_layout()
            path = f"{key}_{name}.png"
            fig.savefig(path, dpi=120)
            plt.close(fig)
            written.append(path)

    # Steps to 99 % validation accuracy, per dataset and run.
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(runs)
    x = np.arange(len(datasets))
    for i, (folder, (label, (final_info, _))) in enumerate(runs.items()):
        means = [final_info.get(d, {}).get("means", {}).get("step_val_acc_99", np.nan) for d in datasets]
        errs = [final_info.get(d, {}).get("stderrs", {}).get("step_val_acc_99", 0.0) for d in datasets]
        ax.bar(x + i * width, means, width, yerr=errs, label=label, color=colors(i % 10))
    ax.set_xticks(x + width * (len(runs) - 1) / 2)
    ax.set_xticklabels(datasets)
    ax.set_ylabel("Steps to 99% validation accuracy")
    ax.set_title("Steps to 99% validation accuracy (total steps if never reached)")
    ax.legend()
    fig.tight_layout()
    fig.savefig("step_val_acc_99.png", dpi=120)
    plt.close(fig)
    written.append("step_val_acc_99.png")
    print("wrote " + ", ".join(written))


if __name__ == "__main__":
    main()
