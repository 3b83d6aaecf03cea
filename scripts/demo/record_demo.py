#!/usr/bin/env python3
"""Records the offline demo of `ai-scientist launch`.

With no API key and no --model, `ai-scientist launch` runs the grokking template at smoke size and
answers every model call from data/demo/launch_transcript.jsonl and every literature search from
data/demo/launch_literature.json, both compiled into the binary. This script makes those two
files, so that a maintainer can make them again when the prompts or the stages change:

  1. It starts a loopback HTTP server that speaks the OpenAI chat-completions API
     (POST /v1/chat/completions) and Semantic Scholar's search API
     (GET /graph/v1/paper/search). Behind the first sits a scripted researcher (class
     Researcher) that reads each request's system prompt and last user message and writes the
     answer a careful model would: one idea (the length of the learning-rate warm-up on the
     grokking tasks), its novelty check, two experiment runs as SEARCH/REPLACE edits of
     experiment.py, the plot.py and notes.txt edits, the paper section by section with its
     citations, and a review. Numbers in the notes, the paper and the review are taken from the
     results the engine sends back, so they are those of the runs. Behind the second sits a
     small table of real papers (bibliographic facts only; the one-line summaries are ours).
  2. It runs the real launch against that server, with the demo's sizes:
       ai-scientist launch --template grokking --model compat/demo --llm-base-url URL/v1
         --engine s2 --smoke --num-ideas 1 --num-reflections 2 --review-ensemble 1
         --review-reflections 2 --cite-rounds 3 --max-runs 2 --results TMP
     in a clean environment (PATH=/usr/bin:/bin, HOME and XDG_DATA_HOME in a temporary folder).
  3. It checks that the launch ended with the idea done, its PDF and a review.txt, then merges the
     launch folder's transcript (ideas, novelty) and the idea folder's (experiments ... review),
     drops every entry's "request" (replay then matches on (stage, conversation, turn) alone and
     survives rewording of the prompts), sets "model" to "replay/demo", zeroes costs, usage and
     latency, fixes the time, and writes data/demo/launch_transcript.jsonl; and writes
     data/demo/launch_literature.json with the papers each query found.

When a prompt changes so much that the researcher no longer recognises a request, the server
answers 400 naming it, the launch fails, and this script exits non-zero saying which request
it was: adapt Researcher.answer.

Usage: scripts/demo/record_demo.py [--binary build/ai-scientist] [--keep] [--dry-run]
Python 3 standard library only. Nothing reaches beyond 127.0.0.1.
"""

import argparse
import http.server
import json
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRANSCRIPT_OUT = REPO / "data" / "demo" / "launch_transcript.jsonl"
LITERATURE_OUT = REPO / "data" / "demo" / "launch_literature.json"
FIXED_TIME = "2026-01-01T00:00:00.000Z"
DATASETS = ["x_plus_y", "x_minus_y", "x_div_y", "permutation"]
TEX_TASK = {
    "x_plus_y": "$x+y$",
    "x_minus_y": "$x-y$",
    "x_div_y": "$x/y$",
    "permutation": "$S_3$",
}
NUM_STEPS = 100  # the template's smoke configuration

# ---------------------------------------------------------------------------------------------
# The literature: real papers, bibliographic facts only. "summary" is our own one-line
# description (no abstract written by others is copied). Citation counts are left out.

PAPERS = {
    "power2022": dict(
        title="Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        authors=["Alethea Power", "Yuri Burda", "Harri Edwards", "Igor Babuschkin",
                 "Vedant Misra"],
        venue="arXiv.org", year=2022, arxiv="2201.02177",
        summary="Introduces grokking: small transformers trained on binary-operation tables "
                "generalise long after fitting the training set, helped by weight decay."),
    "thilak2022": dict(
        title="The Slingshot Mechanism: An Empirical Study of Adaptive Optimizers and the "
              "Grokking Phenomenon",
        authors=["Vimal Thilak", "Etai Littwin", "Shuangfei Zhai", "Omid Saremi", "Roni Paiss",
                 "Joshua Susskind"],
        venue="arXiv.org", year=2022, arxiv="2206.04817",
        summary="Reports cyclic instabilities of adaptive optimisers late in training and "
                "relates them to when grokking happens."),
    "liu2022": dict(
        title="Towards Understanding Grokking: An Effective Theory of Representation Learning",
        authors=["Ziming Liu", "Ouail Kitouni", "Niklas Nolte", "Eric J. Michaud", "Max Tegmark",
                 "Mike Williams"],
        venue="Neural Information Processing Systems", year=2022, arxiv="2205.10343",
        summary="Explains grokking through the formation of structured representations and maps "
                "learning phases against hyperparameters."),
    "liu2023omnigrok": dict(
        title="Omnigrok: Grokking Beyond Algorithmic Data",
        authors=["Ziming Liu", "Eric J. Michaud", "Max Tegmark"],
        venue="International Conference on Learning Representations", year=2023,
        arxiv="2210.01117",
        summary="Relates grokking to the weight norm at initialisation and shows it on tasks "
                "beyond algorithmic data."),
    "nanda2023": dict(
        title="Progress measures for grokking via mechanistic interpretability",
        authors=["Neel Nanda", "Lawrence Chan", "Tom Lieberum", "Jess Smith",
                 "Jacob Steinhardt"],
        venue="International Conference on Learning Representations", year=2023,
        arxiv="2301.05217",
        summary="Reverse-engineers the algorithm a transformer learns for modular addition and "
                "defines progress measures that change smoothly before grokking."),
    "varma2023": dict(
        title="Explaining grokking through circuit efficiency",
        authors=["Vikrant Varma", "Rohin Shah", "Zachary Kenton", "János Kramár",
                 "Ramana Kumar"],
        venue="arXiv.org", year=2023, arxiv="2309.02390",
        summary="Explains grokking as a competition between a memorising and a more efficient "
                "generalising circuit under weight decay."),
    "kumar2024": dict(
        title="Grokking as the Transition from Lazy to Rich Training Dynamics",
        authors=["Tanishq Kumar", "Blake Bordelon", "Samuel J. Gershman", "Cengiz Pehlevan"],
        venue="International Conference on Learning Representations", year=2024,
        arxiv="2310.06110",
        summary="Describes grokking as a move from kernel-like (lazy) to feature-learning (rich) "
                "training dynamics."),
    "goyal2017": dict(
        title="Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
        authors=["Priya Goyal", "Piotr Dollár", "Ross Girshick", "Pieter Noordhuis",
                 "Lukasz Wesolowski", "Aapo Kyrola", "Andrew Tulloch", "Yangqing Jia",
                 "Kaiming He"],
        venue="arXiv.org", year=2017, arxiv="1706.02677",
        summary="Trains ImageNet models with very large batches using a linear scaling rule "
                "and a gradual learning-rate warm-up."),
    "liu2020radam": dict(
        title="On the Variance of the Adaptive Learning Rate and Beyond",
        authors=["Liyuan Liu", "Haoming Jiang", "Pengcheng He", "Weizhu Chen", "Xiaodong Liu",
                 "Jianfeng Gao", "Jiawei Han"],
        venue="International Conference on Learning Representations", year=2020,
        arxiv="1908.03265",
        summary="Attributes the need for warm-up with Adam to the variance of the adaptive "
                "learning rate early in training and proposes RAdam."),
    "xiong2020": dict(
        title="On Layer Normalization in the Transformer Architecture",
        authors=["Ruibin Xiong", "Yunchang Yang", "Di He", "Kai Zheng", "Shuxin Zheng",
                 "Chen Xing", "Huishuai Zhang", "Yanyan Lan", "Liwei Wang", "Tie-Yan Liu"],
        venue="International Conference on Machine Learning", year=2020, arxiv="2002.04745",
        summary="Shows that Post-LN transformers need a warm-up because of large early "
                "gradients, while Pre-LN transformers can be trained without one."),
    "gotmare2019": dict(
        title="A Closer Look at Deep Learning Heuristics: Learning rate restarts, Warmup and "
              "Distillation",
        authors=["Akhilesh Gotmare", "Nitish Shirish Keskar", "Caiming Xiong", "Richard Socher"],
        venue="International Conference on Learning Representations", year=2019,
        arxiv="1810.13243",
        summary="Studies learning-rate restarts, warm-up and distillation with representation "
                "similarity and loss-surface analyses."),
    "ma2021": dict(
        title="On the Adequacy of Untuned Warmup for Adaptive Optimization",
        authors=["Jerry Ma", "Denis Yarats"],
        venue="AAAI Conference on Artificial Intelligence", year=2021, arxiv="1910.04209",
        summary="Argues that a simple untuned linear warm-up tied to Adam's second-moment "
                "parameter is an adequate default."),
    "kalra2024": dict(
        title="Why Warmup the Learning Rate? Underlying Mechanisms and Improvements",
        authors=["Dayal Singh Kalra", "Maissam Barkeshli"],
        venue="Neural Information Processing Systems", year=2024, arxiv="2406.09405",
        summary="Studies why warm-up helps, relating it to the sharpness of the loss landscape "
                "and the largest learning rate training tolerates, and proposes improvements."),
}

# What each query the researcher asks finds, best first. Any other query is answered by a
# keyword match over the table (see search_papers).
NOVELTY_QUERY_1 = "learning rate warmup grokking"
NOVELTY_QUERY_2 = "warmup length delayed generalization algorithmic tasks transformer"
CITE_WARMUP = "why learning rate warmup is needed adam transformer training stability"
CITE_SLINGSHOT = "adaptive optimizers grokking instability"

QUERIES = {
    NOVELTY_QUERY_1: [
        "thilak2022", "power2022", "liu2023omnigrok", "kalra2024", "nanda2023", "liu2022",
        "kumar2024"],
    NOVELTY_QUERY_2: [
        "kalra2024", "xiong2020", "liu2020radam", "gotmare2019", "varma2023", "ma2021",
        "goyal2017"],
    CITE_WARMUP: [
        "liu2020radam", "xiong2020", "goyal2017", "ma2021", "kalra2024", "gotmare2019"],
    CITE_SLINGSHOT: [
        "thilak2022", "varma2023", "kumar2024", "liu2022", "nanda2023"],
}


def bibtex_of(key, p):
    conference = any(w in p["venue"] for w in ("Conference", "Systems", "AAAI"))
    fields = [("author", " and ".join(p["authors"])), ("title", p["title"])]
    if conference:
        kind = "inproceedings"
        fields.append(("booktitle", p["venue"]))
    else:
        kind = "article"
        fields += [("journal", "ArXiv"), ("volume", "abs/" + p["arxiv"])]
    fields.append(("year", str(p["year"])))
    body = ",\n".join(f" {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def s2_paper(key):
    p = PAPERS[key]
    return {
        "paperId": None,
        "title": p["title"],
        "authors": [{"name": a} for a in p["authors"]],
        "venue": p["venue"],
        "year": p["year"],
        "abstract": p["summary"],
        "citationCount": None,
        "externalIds": {"ArXiv": p["arxiv"]},
        "url": f"https://arxiv.org/abs/{p['arxiv']}",
        "citationStyles": {"bibtex": bibtex_of(key, p)},
    }


def recorded_paper(key):
    """The same paper in the form of src/literature/recorded_source.h."""
    p = PAPERS[key]
    return {
        "title": p["title"],
        "authors": p["authors"],
        "venue": p["venue"],
        "year": p["year"],
        "abstract": p["summary"],
        "citation_count": None,
        "doi": "",
        "arxiv_id": p["arxiv"],
        "s2_id": "",
        "url": f"https://arxiv.org/abs/{p['arxiv']}",
        "bibtex": bibtex_of(key, p),
    }


def fold(query):
    return " ".join(query.lower().split())


def search_papers(query, limit):
    keys = QUERIES.get(fold(query))
    if keys is None:
        words = set(re.findall(r"[a-z]+", query.lower())) - {"the", "of", "and", "a", "in", "on"}
        scored = []
        for key, p in PAPERS.items():
            text = (p["title"] + " " + p["summary"]).lower()
            score = sum(1 for w in words if w in text)
            if score:
                scored.append((-score, key))
        keys = [k for _, k in sorted(scored)]
    return keys[:limit]


# ---------------------------------------------------------------------------------------------
# Helpers for the answers


class Unexpected(Exception):
    """A request the scripted researcher does not recognise (or a state it cannot answer in)."""


def fill(text, **values):
    for k, v in values.items():
        text = text.replace("@@" + k + "@@", str(v))
    left = re.findall(r"@@\w+@@", text)
    if left:
        raise Unexpected(f"unfilled values in an answer: {left}")
    return text


def block(path, search, replace, lang=""):
    """One SEARCH/REPLACE block; search and replace end with a newline (or are empty)."""
    return (f"{path}\n```{lang}\n<<<<<<< SEARCH\n{search}=======\n{replace}"
            f">>>>>>> REPLACE\n```\n")


def shown_file(message, path):
    """The content of `path` as the coder's message shows it, or None."""
    m = re.search(re.escape(path) + r"\n(`{3,4})\n(.*?)\1\n\n", message, re.S)
    return m.group(2) if m else None


def first_json(text, after):
    pos = text.find(after)
    if pos < 0:
        raise Unexpected(f"no '{after}' in the message")
    start = text.find("{", pos)
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj


def means_of(results):
    out = {}
    for d, v in results.items():
        out[d] = v["means"] if isinstance(v, dict) and "means" in v else v
    return out


def f2(x):
    return f"{x:.2f}"


def count_words(k):
    return {4: "all four", 3: "three of the four", 2: "two of the four",
            1: "one of the four", 0: "none of the four"}[k]


# ---------------------------------------------------------------------------------------------
# The texts of the idea

IDEA_V1 = {
    "Name": "warmup_fraction_grokking",
    "Title": "Learning-Rate Warm-up Length and the Memorisation Phase of Grokking",
    "Experiment": (
        "Express the linear learning-rate warm-up as a fraction of the total number of update "
        "steps (a new Config field warmup_fraction; warm-up length W = max(1, round(fraction * "
        "num_steps)), taking precedence over warmup_steps) so that it scales with the training "
        "budget. Compare the baseline's fixed warm-up with no warm-up (fraction 0) and a long "
        "warm-up over the first half of training (fraction 0.5), one setting per run, "
        "everything else fixed. Compare final training/validation loss and accuracy and "
        "step_val_acc_99 on all four datasets."),
    "Interestingness": 6,
    "Feasibility": 9,
    "Novelty": 6,
}

IDEA_V2 = dict(IDEA_V1)
IDEA_V2["Experiment"] = (
    "Express the linear learning-rate warm-up as a fraction of the total number of update steps "
    "(a new Config field warmup_fraction; warm-up length W = max(1, round(fraction * "
    "num_steps)), taking precedence over warmup_steps, and written to final_info) so that it "
    "scales with the training budget. Compare the baseline's fixed warm-up with no warm-up "
    "(fraction 0) and a long warm-up over the first half of training (fraction 0.5), one "
    "setting per run, everything else fixed. Also record the first evaluation step at which "
    "training accuracy reaches 99% (step_train_acc_99) next to step_val_acc_99, so that the end "
    "of memorisation and the memorisation-to-generalisation gap can be measured. Compare final "
    "training/validation loss and accuracy, step_train_acc_99 and step_val_acc_99 on all four "
    "datasets.")
IDEA_V2["Novelty"] = 5

IDEA_ROUND_1 = """THOUGHT:
The three ideas already proposed vary weight decay, the training fraction and the embedding
learning rate. One ingredient of the recipe that nobody touches is the learning-rate warm-up:
the script ramps the learning rate linearly over the first 50 of 7500 steps and then keeps it
constant. Warm-up decides how large the first updates are, which is exactly the phase in which
the network races to memorise its training set. If grokking is a competition between a quickly
found memorising solution and a slowly found generalising one, making the first updates smaller
might slow memorisation, change the state in which memorisation ends, and shift when validation
accuracy jumps.

The experiment is cheap: one change to the schedule, one setting per run. A fixed warm-up length
means very different things at different budgets (50 steps is under 1% of a full run but half of
a 100-step run), so I will express it as a fraction of the number of update steps. The runs:
no warm-up (fraction 0) and a long warm-up over half of training (fraction 0.5), with the
baseline in between.

What could make it fail: the effect may be small next to seed-to-seed variation, and a long
warm-up also lowers the average learning rate, so a later grokking step could simply mean less
total progress. Comparing the whole curves, not only the final numbers, will help tell these
apart.

NEW IDEA JSON:
```json
@@idea@@
```"""

IDEA_ROUND_2 = """THOUGHT:
The idea is simple and feasible, and the fraction-of-budget parameterisation is the right way to
make runs at different lengths comparable. One thing is missing: the script records when
validation accuracy reaches 99% but not when training accuracy does, so the claim "warm-up
changes the memorisation phase" could not be checked directly. I add step_train_acc_99 (the
first evaluation step with training accuracy at or above 99%) to the measurements, and write
the effective warm-up length to final_info so every run documents its own schedule. Warm-up
itself is well studied outside grokking, so I lower Novelty to 5.

NEW IDEA JSON:
```json
@@idea@@
```"""

NOVELTY_1 = """THOUGHT:
The idea varies the length of the linear learning-rate warm-up, expressed as a fraction of the
training budget, and measures how it changes memorisation and the onset of grokking. Work on
grokking has varied weight decay, the training fraction, the optimiser and the initialisation;
warm-up has its own literature in transformer training. The overlap to look for is a paper that
studies the warm-up length itself in the grokking setting. I start with the direct query.

RESPONSE:
```json
{"Query": "learning rate warmup grokking"}
```"""

NOVELTY_2 = """THOUGHT:
None of these results varies the warm-up. Power et al. introduce the phenomenon with a fixed
optimiser recipe; the slingshot paper (Thilak et al.) ties grokking to instabilities of adaptive
optimisers late in training, which concerns the optimiser's dynamics long after any warm-up;
Omnigrok relates grokking to the weight norm; the progress-measures and effective-theory papers
explain what is learned, not how the schedule changes it. "Why Warmup the Learning Rate?" studies
warm-up in general but not delayed generalisation. Before deciding I search once more from the
warm-up side, with terms closer to delayed generalisation.

RESPONSE:
```json
{"Query": "warmup length delayed generalization algorithmic tasks transformer"}
```"""

NOVELTY_3 = """THOUGHT:
This search returns the warm-up literature: Liu et al. trace the need for warm-up with Adam to
the variance of the adaptive learning rate, Xiong et al. tie it to Post-LN transformers, Gotmare
et al. and Ma & Yarats study it as a heuristic, and Kalra & Barkeshli analyse its mechanisms.
All of them motivate warm-up by stability and final performance; none asks how its length
shapes memorisation or the timing of delayed generalisation on algorithmic tasks, and the
grokking papers found (circuit efficiency, slingshot) keep the schedule fixed. The idea is a
modest extension of a well-known recipe, so its novelty is limited in scope, but I found no
paper that makes the same change for the same reason.

Decision made: novel."""


TABLE_BEGIN = "## Final metrics of every run (written by plot.py from run*/final_info.json)"
TABLE_END = "(end of the table written by plot.py)"
TABLE_METRICS = ["final_train_loss", "final_val_loss", "final_train_acc", "final_val_acc",
                 "step_train_acc_99", "step_val_acc_99"]

# The function the agent adds to plot.py when the last run's results were never reported.
TABLE_CODE = '''TABLE_BEGIN = "@@begin@@"
TABLE_END = "@@end@@"
METRICS = ["final_train_loss", "final_val_loss", "final_train_acc", "final_val_acc",
           "step_train_acc_99", "step_val_acc_99"]


def write_results_table(runs, datasets, path="notes.txt"):
    """Writes the final metrics (means over seeds) of every plotted run into notes.txt,
    replacing the table an earlier call wrote."""
    lines = [TABLE_BEGIN, "run | label | dataset | " + " | ".join(METRICS)]
    for folder, (label, (final_info, _)) in runs.items():
        for d in datasets:
            means = final_info.get(d, {}).get("means", {})
            values = [f"{means[m]:.4g}" if m in means else "n/a" for m in METRICS]
            lines.append(f"{folder} | {label} | {d} | " + " | ".join(values))
    lines.append(TABLE_END)
    table = "\\n".join(lines) + "\\n"
    text = open(path).read() if os.path.exists(path) else ""
    start = text.find(TABLE_BEGIN)
    if start >= 0:
        end = text.find(TABLE_END, start)
        end = len(text) if end < 0 else end + len(TABLE_END) + 1
        text = text[:start] + table + text[end:]
    else:
        if text and not text.endswith("\\n"):
            text += "\\n"
        text += "\\n" + table
    with open(path, "w") as f:
        f.write(text)
'''.replace("@@begin@@", TABLE_BEGIN).replace("@@end@@", TABLE_END)

# ---------------------------------------------------------------------------------------------
# The researcher


class Researcher:
    def __init__(self, template_system):
        self.template_system = template_system
        self.lock = threading.Lock()
        self.base = None  # baseline means {dataset: {metric: value}}
        self.runs = {}  # run number -> means
        self.cite_query = None  # the query of the current citation round
        self.problems = []  # what went wrong, for the script's exit message

    # The dispatcher ---------------------------------------------------------------------------

    def answer(self, body):
        messages = body.get("messages", [])
        system = ""
        if messages and messages[0]["role"] in ("system", "developer"):
            system = messages[0]["content"]
        chat = [m for m in messages if m["role"] in ("user", "assistant")]
        if not chat or chat[-1]["role"] != "user":
            raise Unexpected("a request whose last message is not the user's")
        last = chat[-1]["content"]
        users = sum(1 for m in chat if m["role"] == "user")
        with self.lock:
            if system == self.template_system:
                return self.idea(last, users)
            if system.startswith("You are an ambitious AI researcher checking whether"):
                return self.novelty(last)
            if system.startswith("You are an expert research engineer"):
                user_text = last.rsplit("\n---\n\n", 1)[-1]
                if "You are writing a research paper in LaTeX" in system:
                    return self.writeup(user_text, last)
                return self.coder(user_text, last)
            if system.startswith("You are an experienced researcher adding citations"):
                return self.citations(last)
            if system.startswith("You are a reviewer"):
                return self.review(last, users)
        raise Unexpected(f"an unknown system prompt: {system[:120]!r}")

    # Ideas and novelty --------------------------------------------------------------------------

    def idea(self, last, users):
        if users == 1 and "NEW IDEA JSON" in last:
            return fill(IDEA_ROUND_1, idea=json.dumps(IDEA_V1, indent=4))
        if users == 2 and last.startswith("Round 2/"):
            return fill(IDEA_ROUND_2, idea=json.dumps(IDEA_V2, indent=4))
        raise Unexpected(f"ideas: an unexpected request: {last[:200]!r}")

    def novelty(self, last):
        m = re.match(r"Round (\d+)/(\d+)", last)
        if not m:
            raise Unexpected(f"novelty: no round in {last[:200]!r}")
        return {1: NOVELTY_1, 2: NOVELTY_2, 3: NOVELTY_3}[int(m.group(1))]

    # The experiment agent ------------------------------------------------------------------------

    def coder(self, text, whole):
        if text.startswith("Your goal is to implement the following idea"):
            self.base = means_of(first_json(text, "Its results"))
            return self.run_1(whole)
        m = re.match(r"Run (\d+) completed\. Its results:", text)
        if m:
            run = int(m.group(1))
            self.runs[run] = means_of(first_json(text, "Its results:"))
            if run == 1:
                return self.run_2(whole)
            if run == 2:
                return self.completed(whole)
        if text.startswith("The experiments are done. Now edit `plot.py`"):
            return self.plot(whole)
        if text.startswith("Now describe every figure in `notes.txt`"):
            figures = re.search(r"The figures made are: (.*)\.\s*$", text, re.S).group(1)
            return self.figure_notes(whole, [f.strip() for f in figures.split(",")])
        raise Unexpected(f"coder: an unexpected request (a failed edit or run?): {text[:600]!r}")

    def check(self, whole, path, search):
        content = shown_file(whole, path)
        if content is None or ("\n" + content).find("\n" + search) < 0:
            raise Unexpected(f"the SEARCH text for {path} is not in its current content: "
                             f"{search[:200]!r}")

    def run_1(self, whole):
        edits = [
            ("    warmup_steps: int = 50       # linear learning-rate warm-up, then constant\n",
             "    warmup_steps: int = 50       # linear learning-rate warm-up, then constant\n"
             "    # When >= 0, the warm-up lasts this fraction of num_steps instead of warmup_steps,"
             "\n"
             "    # so that it scales with the training budget (smoke runs included).\n"
             "    # Run 1: no warm-up.\n"
             "    warmup_fraction: float = 0.0\n"),
            ("def lr_lambda(cfg: Config):\n"
             "    def f(step):\n"
             "        return min(1.0, (step + 1) / max(cfg.warmup_steps, 1))\n"
             "    return f\n",
             "def warmup_length(cfg: Config) -> int:\n"
             '    """Warm-up length in update steps (1 means no warm-up)."""\n'
             "    if cfg.warmup_fraction >= 0:\n"
             "        return max(1, int(round(cfg.warmup_fraction * cfg.num_steps)))\n"
             "    return max(cfg.warmup_steps, 1)\n"
             "\n"
             "\n"
             "def lr_lambda(cfg: Config):\n"
             "    warmup = warmup_length(cfg)\n"
             "\n"
             "    def f(step):\n"
             "        return min(1.0, (step + 1) / warmup)\n"
             "    return f\n"),
            ("    step_val_acc_99 = None\n"
             "    t0 = time.time()\n"
             "\n"
             "    def record(step):\n"
             "        nonlocal step_val_acc_99\n",
             "    step_val_acc_99 = None\n"
             "    step_train_acc_99 = None  # end of memorisation: train accuracy >= 0.99\n"
             "    t0 = time.time()\n"
             "\n"
             "    def record(step):\n"
             "        nonlocal step_val_acc_99, step_train_acc_99\n"),
            ("        if step_val_acc_99 is None and va_acc >= 0.99:\n"
             "            step_val_acc_99 = step\n",
             "        if step_val_acc_99 is None and va_acc >= 0.99:\n"
             "            step_val_acc_99 = step\n"
             "        if step_train_acc_99 is None and tr_acc >= 0.99:\n"
             "            step_train_acc_99 = step\n"),
            ('        "step_val_acc_99": step_val_acc_99 if step_val_acc_99 is not None else '
             "cfg.num_steps,\n"
             "    }\n",
             '        "step_val_acc_99": step_val_acc_99 if step_val_acc_99 is not None else '
             "cfg.num_steps,\n"
             "        # The same for training accuracy, and the warm-up this run used.\n"
             '        "step_train_acc_99": (step_train_acc_99 if step_train_acc_99 is not None\n'
             "                              else cfg.num_steps),\n"
             '        "warmup_steps": warmup_length(cfg),\n'
             "    }\n"),
        ]
        for s, _ in edits:
            self.check(whole, "experiment.py", s)
        blocks = "\n".join(block("experiment.py", s, r, "python") for s, r in edits)
        return (
            "The baseline reports step_val_acc_99 = 100 on every dataset and final training "
            "accuracies of at most 0.67, so these runs use the script's smoke configuration "
            "(p = 13, S_3, one layer of width 32, 100 steps, one seed, warmup_steps = 10). That "
            "is one more reason to express the warm-up as a fraction of num_steps: a fixed "
            "length means something different at every budget.\n\n"
            "Plan for the two runs (the baseline's 10-step warm-up, 10% of training here, sits "
            "between them):\n\n"
            "1. Run 1: no warm-up (warmup_fraction = 0.0, i.e. a warm-up of 1 step).\n"
            "2. Run 2: a long warm-up over the first half of training (warmup_fraction = 0.5).\n\n"
            "For run 1 I add the `warmup_fraction` field and a `warmup_length()` helper that the "
            "schedule uses, and record two more results per run: `step_train_acc_99`, the first "
            "evaluation step at which training accuracy reaches 99% (the end of memorisation), "
            "and `warmup_steps`, the warm-up length the run actually used. The command line "
            "stays the same.\n\n" + blocks)

    def losses(self, means):
        return ", ".join(
            f"{d} {f2(means[d]['final_train_loss'])}/{f2(means[d]['final_val_loss'])}"
            for d in DATASETS)

    def compact(self, means):
        out = {}
        for d in DATASETS:
            out[d] = {k: (round(v, 4) if isinstance(v, float) else v)
                      for k, v in means[d].items()}
        return json.dumps(out)

    def run_2(self, whole):
        b, r1 = self.base, self.runs[1]
        lower_train = sum(r1[d]["final_train_loss"] < b[d]["final_train_loss"] for d in DATASETS)
        higher_val = sum(r1[d]["final_val_loss"] > b[d]["final_val_loss"] for d in DATASETS)
        reached = [d for d in DATASETS if r1[d]["step_train_acc_99"] < NUM_STEPS]
        notes_search = "Description: Baseline results.\n"
        notes_replace = fill(
            """Description: Baseline results. The baseline runs the smoke configuration (p = 13, permutations of
3 elements, 1 layer, d_model 32, 2 heads, 100 steps, batch 64, one seed 0, evaluation every 20
steps) with a fixed warm-up of warmup_steps = 10 (10% of training). No dataset reaches 99%
validation accuracy: step_val_acc_99 = 100 is the cap (num_steps), not a real crossing.

## Run 1: No warm-up (warmup_fraction = 0.0, warm-up length 1 step)
Change: experiment.py gains Config.warmup_fraction; when >= 0 the warm-up length is
W = max(1, round(warmup_fraction * num_steps)) instead of warmup_steps. Run 1 uses 0.0, so the
learning rate is 1e-3 from the first step. Two results are added to final_info:
step_train_acc_99 (first evaluation step with training accuracy >= 0.99; num_steps if never)
and warmup_steps (the W the run used). Everything else is as in the baseline.
Results: @@results@@
Description: Final train/val loss per dataset (run 1): @@losses@@ (baseline: @@base_losses@@).
Without warm-up the final training loss is lower than the baseline's on @@lower_train@@ datasets and the
final validation loss is higher on @@higher_val@@: the network fits its training set slightly faster and
moves further from the held-out equations. @@reached@@ Validation accuracy stays near chance.
""",
            results=self.compact(r1), losses=self.losses(r1), base_losses=self.losses(b),
            lower_train=count_words(lower_train), higher_val=count_words(higher_val),
            reached=("No dataset reaches 99% training or validation accuracy within the 100 "
                     "steps (step_train_acc_99 = step_val_acc_99 = 100)."
                     if not reached else
                     f"Training accuracy reaches 99% within the budget on {', '.join(reached)}."))
        self.check(whole, "notes.txt", notes_search)
        search = ("    # Run 1: no warm-up.\n"
                  "    warmup_fraction: float = 0.0\n")
        replace = ("    # Run 2: a long warm-up over the first half of training.\n"
                   "    warmup_fraction: float = 0.5\n")
        self.check(whole, "experiment.py", search)
        return (
            "Run 1 behaves as expected: without warm-up the training loss ends lower and the "
            "validation loss higher than in the baseline, and no dataset gets near 99% accuracy "
            "in 100 steps. The plan stands: run 2 takes the other extreme, a warm-up over the "
            "first half of training. I record run 1 in notes.txt first.\n\n"
            + block("notes.txt", notes_search, notes_replace)
            + "\n" + block("experiment.py", search, replace, "python"))

    def run2_record(self, results):
        """notes.txt's record of run 2; `results` is its Results line."""
        return fill(
            """
## Run 2: Long warm-up (warmup_fraction = 0.5, warm-up length 50 steps)
Change: warmup_fraction = 0.5, so the learning rate rises linearly from 2e-5 to 1e-3 over the
first 50 of the 100 steps and is constant afterwards. Nothing else changed.
Results: @@results@@
Description: Final train/val loss per dataset (run 2): @@losses@@.
Ordering across the three runs (no warm-up, baseline 10 steps, 50 steps): the final training loss
increases with the warm-up length on @@train_k@@ datasets and the final validation loss decreases
with it on @@val_k@@. The largest effect is on permutation (validation loss @@perm_vl_none@@ / @@perm_vl_base@@ /
@@perm_vl_long@@). On modular division: training loss @@div_tl_none@@ / @@div_tl_base@@ / @@div_tl_long@@, validation
loss @@div_vl_none@@ / @@div_vl_base@@ / @@div_vl_long@@. Validation accuracy stays near chance in all runs (at most
@@max_va@@); training accuracy stays below 99% (at most @@max_ta@@). step_train_acc_99 = step_val_acc_99 = 100 for
every dataset: neither memorisation nor generalisation completes within the budget, so the runs
say nothing yet about when grokking happens. Interpretation: a longer warm-up means smaller early
updates; the network fits the training set more slowly and its held-out loss, which rises as it
memorises, rises less. One seed only: differences of a few hundredths may be noise.
""", results=results, losses=self.losses(self.runs[2]), **self.story())

    def completed(self, whole):
        """Run 2's results, when the engine reports the last run (it did not when this was
        written: see plot())."""
        content = shown_file(whole, "notes.txt")
        if content is None or "## Run 1:" not in content:
            raise Unexpected("notes.txt does not hold run 1's record")
        last_line = content.rstrip("\n").split("\n")[-1] + "\n"
        record = self.run2_record(self.compact(self.runs[2]))
        return (
            "Run 2 completes the plan: with the warm-up over the first half of training the "
            "training loss ends highest and the validation loss lowest of the three runs, the "
            "mirror image of run 1, and still no dataset crosses 99% accuracy. With two runs "
            "available both extremes around the baseline are covered, so the experiments are "
            "complete. I record run 2 in notes.txt.\n\n"
            + block("notes.txt", last_line, last_line + record)
            + "\nALL_COMPLETED\n")

    def plot(self, whole):
        edits = [
            ("labels = {\n"
             '    "run_0": "Baselines",\n'
             "}\n",
             "labels = {\n"
             '    "run_0": "Baseline (10-step warm-up)",\n'
             '    "run_1": "No warm-up",\n'
             '    "run_2": "Warm-up over half of training",\n'
             "}\n"),
            ('    fig.savefig("step_val_acc_99.png", dpi=120)\n'
             "    plt.close(fig)\n"
             '    written.append("step_val_acc_99.png")\n',
             '    fig.savefig("step_val_acc_99.png", dpi=120)\n'
             "    plt.close(fig)\n"
             '    written.append("step_val_acc_99.png")\n'
             "\n"
             "    # Final training and validation loss per dataset and run: the warm-up study's\n"
             "    # main comparison, since at a short budget no run reaches 99% accuracy.\n"
             '    for key, title in [("final_train_loss", "Final training loss"),\n'
             '                       ("final_val_loss", "Final validation loss")]:\n'
             "        fig, ax = plt.subplots(figsize=(8, 4.5))\n"
             "        for i, (folder, (label, (final_info, _))) in enumerate(runs.items()):\n"
             '            means = [final_info.get(d, {}).get("means", {}).get(key, np.nan)\n'
             "                     for d in datasets]\n"
             '            errs = [final_info.get(d, {}).get("stderrs", {}).get(key, 0.0)\n'
             "                    for d in datasets]\n"
             "            ax.bar(x + i * width, means, width, yerr=errs, label=label,\n"
             "                   color=colors(i % 10))\n"
             "        ax.set_xticks(x + width * (len(runs) - 1) / 2)\n"
             "        ax.set_xticklabels(datasets)\n"
             "        ax.set_ylabel(title)\n"
             '        ax.set_title(f"{title} per dataset (mean over seeds)")\n'
             "        ax.legend()\n"
             "        fig.tight_layout()\n"
             '        fig.savefig(f"{key}.png", dpi=120)\n'
             "        plt.close(fig)\n"
             '        written.append(f"{key}.png")\n'),
        ]
        table = 2 not in self.runs
        if table:
            # The engine ran run 2 but never sent its results: let plot.py, which reads every
            # run's final_info.json anyway, record them where the write-up will look.
            edits[1] = (edits[1][0], edits[1][1]
                        + "\n"
                        "    # notes.txt is all the write-up sees: record every run's final "
                        "metrics there.\n"
                        "    write_results_table(runs, datasets)\n")
            edits.append((
                "def main():\n"
                "    runs = {}\n",
                TABLE_CODE + "\n\n"
                "def main():\n"
                "    runs = {}\n"))
        for s, _ in edits:
            self.check(whole, "plot.py", s)
        why_table = (
            "\n\nOne more problem: the engine ran run 2 but never sent me its results, so "
            "notes.txt has no record of them, and the paper will be written from notes.txt "
            "alone. plot.py reads every run's final_info.json anyway, so I make it also write a "
            "table of the final metrics of every plotted run into notes.txt, between two "
            "marker lines that it replaces on each run, so the table is never duplicated.")
        return (
            "I name the three runs in `labels` after their warm-up, so every curve figure "
            "compares no warm-up, the baseline and the long warm-up. Since no run reaches 99% "
            "accuracy at this budget, the existing bar chart of step_val_acc_99 shows only the "
            "cap; the comparison the paper needs is the final losses, so I add two bar charts, "
            "`final_train_loss.png` and `final_val_loss.png`, built like the existing one."
            + (why_table if table else "") + "\n\n"
            + "\n".join(block("plot.py", s, r, "python") for s, r in edits))

    def figure_notes(self, whole, figures):
        content = shown_file(whole, "notes.txt")
        if content is None:
            raise Unexpected("notes.txt is not shown in the notes request")
        last_line = content.rstrip("\n").split("\n")[-1] + "\n"
        run2 = ""
        if 2 not in self.runs:
            self.runs[2] = self.table_means(content, "run_2")
            run2 = self.run2_record(
                "not reported back by the engine; the final metrics are in the table above "
                "(written by plot.py from run_2/final_info.json).")
        s = self.story()
        names = {"x_plus_y": "addition mod 13", "x_minus_y": "subtraction mod 13",
                 "x_div_y": "division mod 13", "permutation": "composition in S_3"}
        lines = [
            "",
            "## Figures",
            "All figures compare the three runs: run_0 'Baseline (10-step warm-up)' (blue), run_1 "
            "'No warm-up' (orange) and run_2 'Warm-up over half of training' (green). With one "
            "seed the shaded standard-error bands and error bars are empty.",
            "",
        ]
        described = set()
        for fig in figures:
            text = None
            if fig == "final_train_loss.png":
                text = (f"final_train_loss.png: bar chart of the final training loss (after 100 "
                        f"steps) per dataset (x axis: x_plus_y, x_minus_y, x_div_y, permutation), "
                        f"one bar per run. On {s['train_k']} datasets the bars rise from no "
                        f"warm-up to the baseline to the long warm-up: the longer the warm-up, "
                        f"the less the training set has been fitted. Permutation has by far the "
                        f"lowest loss (its training set has only 18 equations).")
            elif fig == "final_val_loss.png":
                text = (f"final_val_loss.png: the same bar chart for the final validation loss. "
                        f"The ordering is reversed on {s['val_k']} datasets: no warm-up highest, "
                        f"long warm-up lowest; the gap is largest on permutation "
                        f"({s['perm_vl_none']} vs {s['perm_vl_long']}). This is the main "
                        f"figure of the study together with final_train_loss.png.")
            elif fig == "step_val_acc_99.png":
                text = ("step_val_acc_99.png: bar chart of the first step at which validation "
                        "accuracy reaches 99%, per dataset and run. Every bar is at 100, the "
                        "cap meaning 'never reached within the budget'; the figure only shows "
                        "that no run generalised and is not worth a place in the paper.")
            else:
                m = re.match(r"(train|val)_(loss|acc)_(\w+)\.png$", fig)
                if m and m.group(3) in names:
                    split, metric, d = m.groups()
                    what = ("training" if split == "train" else "validation") + (
                        " loss (log scale)" if metric == "loss" else " accuracy")
                    text = (f"{fig}: {what} against update step (0 to 100, evaluated every 20 "
                            f"steps) on {d} ({names[d]}), one line per run. ")
                    if split == "train" and metric == "loss":
                        text += ("The runs separate from the first evaluation on: the long "
                                 "warm-up's loss falls more slowly during its 50 warm-up steps "
                                 "and ends highest; no warm-up ends lowest.")
                    elif split == "val" and metric == "loss":
                        text += ("The validation loss rises as the training set is memorised"
                                 + (" from the first evaluation on" if d == "permutation" else
                                    ", after staying near its initial value for about the "
                                    "first 40 steps")
                                 + "; the long warm-up delays and reduces the rise, no warm-up "
                                 "makes it largest.")
                    elif split == "train":
                        text += ("Training accuracy climbs slowly and stays far below 99% in "
                                 "all runs; the differences between runs are within a few "
                                 "training examples.")
                    else:
                        text += ("Validation accuracy stays near chance throughout (it moves "
                                 "by a few held-out examples between evaluations); no run "
                                 "generalises.")
            if text is None:
                text = f"{fig}: a figure made by plot.py."
            described.add(fig)
            lines.append(text)
        lines.append("")
        lines.append("Figures for the paper: final_train_loss.png and final_val_loss.png (the "
                     "result), train_loss_permutation.png and val_loss_permutation.png (the "
                     "dynamics, on the dataset with the largest effect).")
        replace = last_line + run2 + "\n".join(lines) + "\n"
        self.check(whole, "notes.txt", last_line)
        intro = ("I add a Figures section to notes.txt that describes every PNG: its axes, the "
                 "runs it compares and what it shows, and which figures the paper should use.")
        if run2:
            intro = ("The table plot.py wrote gives run 2's results, which the engine never "
                     "reported: I record run 2 in notes.txt from it, as I did for run 1. Then "
                     + intro)
        return intro + "\n\n" + block("notes.txt", last_line, replace)

    def table_means(self, notes, run):
        """The means of `run` from the table plot.py wrote into notes.txt."""
        begin = notes.find(TABLE_BEGIN)
        end = notes.find(TABLE_END)
        if begin < 0 or end < 0:
            raise Unexpected("notes.txt holds no table of final metrics from plot.py")
        rows = notes[begin:end].strip().split("\n")
        header = [c.strip() for c in rows[1].split("|")]
        means = {}
        for row in rows[2:]:
            cells = [c.strip() for c in row.split("|")]
            if cells[0] != run:
                continue
            values = dict(zip(header, cells))
            means[values["dataset"]] = {k: float(v) for k, v in values.items()
                                        if k in TABLE_METRICS and v != "n/a"}
        if sorted(means) != sorted(DATASETS):
            raise Unexpected(f"the table in notes.txt lacks {run}'s datasets: {sorted(means)}")
        return means

    # The numbers the story is told with ---------------------------------------------------------

    def story(self):
        b, r1, r2 = self.base, self.runs.get(1), self.runs.get(2)
        if r1 is None or r2 is None:
            raise Unexpected("the story needs both runs")
        train_k = sum(r1[d]["final_train_loss"] < b[d]["final_train_loss"] <
                      r2[d]["final_train_loss"] for d in DATASETS)
        val_k = sum(r1[d]["final_val_loss"] > b[d]["final_val_loss"] > r2[d]["final_val_loss"]
                    for d in DATASETS)
        if train_k < 3 or val_k < 3:
            raise Unexpected(
                f"the runs do not show the effect the scripted paper describes (training-loss "
                f"ordering on {train_k}, validation-loss ordering on {val_k} of 4 datasets): "
                f"rewrite the story in record_demo.py")
        for means in (b, r1, r2):
            for d in DATASETS:
                if means[d]["step_val_acc_99"] < NUM_STEPS:
                    raise Unexpected("a run reached 99% validation accuracy: the scripted "
                                     "paper says none does; rewrite the story")
        runs = (b, r1, r2)
        return dict(
            train_k=count_words(train_k), val_k=count_words(val_k),
            perm_vl_none=f2(r1["permutation"]["final_val_loss"]),
            perm_vl_base=f2(b["permutation"]["final_val_loss"]),
            perm_vl_long=f2(r2["permutation"]["final_val_loss"]),
            div_tl_none=f2(r1["x_div_y"]["final_train_loss"]),
            div_tl_base=f2(b["x_div_y"]["final_train_loss"]),
            div_tl_long=f2(r2["x_div_y"]["final_train_loss"]),
            div_vl_none=f2(r1["x_div_y"]["final_val_loss"]),
            div_vl_base=f2(b["x_div_y"]["final_val_loss"]),
            div_vl_long=f2(r2["x_div_y"]["final_val_loss"]),
            max_va=f2(max(m[d]["final_val_acc"] for m in runs for d in DATASETS)),
            max_ta=f2(max(m[d]["final_train_acc"] for m in runs for d in DATASETS)),
        )

    def loss_table(self):
        b, r1, r2 = self.base, self.runs[1], self.runs[2]
        rows = []
        for d in DATASETS:
            tl = [r1[d]["final_train_loss"], b[d]["final_train_loss"], r2[d]["final_train_loss"]]
            vl = [r1[d]["final_val_loss"], b[d]["final_val_loss"], r2[d]["final_val_loss"]]
            rows.append(f"{TEX_TASK[d]} & " + " & ".join(f2(v) for v in tl) + " & "
                        + " & ".join(f2(v) for v in vl) + r" \\")
        return "\n".join(rows)

    # The paper ---------------------------------------------------------------------------------

    def writeup(self, text, whole):
        m = re.match(r"Write the (.+?) of the paper now", text)
        if m:
            return self.section(m.group(1), whole)
        m = re.match(r"Now read the (.+?) you just wrote", text)
        if m:
            return self.refine(m.group(1), whole)
        if text.startswith("These entries were added to the bibliography"):
            return self.insert_citations(text, whole)
        if text.startswith("The whole paper is now written"):
            return SECOND_REFINE
        raise Unexpected(f"writeup: an unexpected request (checks or LaTeX errors?): "
                         f"{text[:1500]!r}")

    def tex_edit(self, whole, search, replace):
        self.check(whole, "latex/template.tex", search)
        return block("latex/template.tex", search, replace, "latex")

    def section(self, name, whole):
        s = self.story()
        if name == "Title and Abstract":
            return ("I set a title that states what was studied and the main finding, and an "
                    "abstract with the numbers from notes.txt.\n\n"
                    + self.tex_edit(whole, "\\title{TITLE HERE}\n", fill(TITLE, **s))
                    + "\n" + self.tex_edit(whole, "ABSTRACT HERE\n", fill(ABSTRACT, **s)))
        if name == "Introduction":
            return ("The introduction sets out the problem, the gap, our contributions and how "
                    "they are tested, without restating the results in detail.\n\n"
                    + self.tex_edit(whole, "INTRO HERE\n", fill(INTRODUCTION, **s)))
        if name == "Background":
            return ("The background covers grokking and warm-up and fixes the notation, "
                    "including the schedule as the code implements it.\n\n"
                    + self.tex_edit(whole, "BACKGROUND HERE\n", BACKGROUND))
        if name == "Method":
            return ("The method section describes the change to the schedule, the settings "
                    "compared and the added measurement, in the notation of the Background.\n\n"
                    + self.tex_edit(whole, "METHOD HERE\n", METHOD))
        if name == "Experimental Setup":
            return ("The setup follows the smoke configuration recorded in notes.txt and the "
                    "code; I state no hardware details, as neither gives any.\n\n"
                    + self.tex_edit(whole, "EXPERIMENTAL SETUP HERE\n", SETUP))
        if name == "Results":
            return ("The results section reports the three runs from notes.txt: a table of "
                    "final losses, the two bar charts and the permutation curves, then the "
                    "limitations. I also remove the template's commented-out example figure.\n\n"
                    + self.tex_edit(whole, RESULTS_SEARCH,
                                    fill(RESULTS, table=self.loss_table(), **s)))
        if name == "Conclusion":
            return ("A short recap and concrete next steps that follow from the results.\n\n"
                    + self.tex_edit(whole, "CONCLUSIONS HERE\n", fill(CONCLUSION, **s)))
        if name == "Related Work":
            return ("I write the structure of the related work with the papers it should "
                    "discuss named in `% cite:` comments; the citations come from the "
                    "literature search next. Only keys already in the bibliography are "
                    "cited.\n\n"
                    + self.tex_edit(whole, "RELATED WORK HERE\n", RELATED))
        raise Unexpected(f"writeup: an unknown section {name!r}")

    def refine(self, name, whole):
        if name == "Introduction":
            search = ("Measuring this is not straightforward: a fixed warm-up length means "
                      "something\n")
            replace = ("Measuring this is not straightforward: a warm-up of a fixed number of "
                       "steps means something\n")
            return ("One sentence is ambiguous about what \"fixed\" refers to; I make it say a "
                    "fixed number of steps. The rest is supported by notes.txt and does not "
                    "repeat other sections.\n\n" + self.tex_edit(whole, search, replace))
        if name == "Results":
            search = "every task and run, i.e.\\ neither threshold is reached within the budget.\n"
            replace = ("every task and run: neither threshold is reached within the budget.\n")
            return ("The numbers match notes.txt, each figure exists and is referenced, and the "
                    "limitations are stated. One sentence reads better without the "
                    "abbreviation.\n\n" + self.tex_edit(whole, search, replace))
        return (f"I reread the {name}: every statement is supported by notes.txt or the code, "
                f"the LaTeX is balanced and references only existing labels, and it does not "
                f"repeat other sections. It needs no change.")

    # Citations ---------------------------------------------------------------------------------

    def citations(self, last):
        m = re.match(r"Round (\d+)/(\d+) of adding citations", last)
        if m:
            r = int(m.group(1))
            if r == 1:
                self.cite_query = CITE_WARMUP
                return CITE_QUERY_1.replace("@@query@@", self.cite_query)
            if r == 2:
                self.cite_query = CITE_SLINGSHOT
                return CITE_QUERY_2.replace("@@query@@", self.cite_query)
            return CITE_DONE
        m = re.match(r'The search for "(.*)" found:', last)
        if m:
            listed = re.findall(r"^(\d+): (.+?)\. ", last, re.M)
            index = {title: int(i) for i, title in listed}

            def idx(key):
                title = PAPERS[key]["title"]
                for t, i in index.items():
                    if title.startswith(t) or t.startswith(title):
                        return i
                raise Unexpected(f"citations: {title!r} is not among the results")

            if m.group(1) == CITE_WARMUP:
                sel = [idx("liu2020radam"), idx("xiong2020")]
                return fill(CITE_SELECT_1, sel=json.dumps(sel))
            if m.group(1) == CITE_SLINGSHOT:
                return fill(CITE_SELECT_2, sel=json.dumps([idx("thilak2022")]))
        raise Unexpected(f"citations: an unexpected request: {last[:300]!r}")

    def insert_citations(self, text, whole):
        entries = re.findall(r"^- (\S+): (.+) \((?:\d{4}|n\.d\.)\)$", text, re.M)
        by_title = {}
        for key, title in entries:
            for k, p in PAPERS.items():
                if p["title"] == title:
                    by_title[k] = key
        if "liu2020radam" in by_title and "xiong2020" in by_title:
            search = RELATED_WARMUP_SEARCH
            replace = fill(RELATED_WARMUP, liu=by_title["liu2020radam"],
                           xiong=by_title["xiong2020"])
            return ("I replace the placeholder comment of the warm-up paragraph with the two "
                    "citations.\n\n" + self.tex_edit(whole, search, replace))
        if "thilak2022" in by_title:
            replace = fill(RELATED_SLINGSHOT, thilak=by_title["thilak2022"])
            return ("I cite the slingshot paper where the related work contrasts optimiser "
                    "dynamics late in training with our change.\n\n"
                    + self.tex_edit(whole, RELATED_SLINGSHOT_SEARCH, replace))
        raise Unexpected(f"citations: unexpected entries {entries}")

    # The review --------------------------------------------------------------------------------

    def review_json(self):
        s = self.story()
        review = dict(REVIEW)
        review["Summary"] = fill(REVIEW["Summary"], train_k=s["train_k"], val_k=s["val_k"])
        return json.dumps(review, indent=2)

    def review(self, last, users):
        if users == 1 and "<paper>" in last:
            paper = last[last.find("<paper>"):]
            if "Warm-up" not in paper and "warm-up" not in paper:
                raise Unexpected("review: the paper text does not look like ours")
            return fill(REVIEW_1, review=self.review_json())
        if users == 2 and last.startswith("Round 2/"):
            return fill(REVIEW_2, review=self.review_json())
        raise Unexpected(f"review: an unexpected request: {last[:300]!r}")


# ---------------------------------------------------------------------------------------------
# The paper's text. @@name@@ are filled from the runs' results (Researcher.story).

TITLE = "\\title{A Longer Learning-Rate Warm-up Slows Memorisation on Grokking Tasks}\n"

ABSTRACT = r"""% Problem, gap, what we do, how it was tested, the main quantitative result.
Grokking, the jump from memorisation to generalisation long after a network has fitted its
training set, is usually studied with AdamW, weight decay and a short linear learning-rate
warm-up, yet the length of that warm-up is rarely varied. We ask how it shapes the early,
memorisation phase of training. We express the warm-up as a fraction of the training budget, add
a measurement of the step at which memorisation ends, and train a small decoder-only transformer
on four algorithmic tasks (addition, subtraction and division modulo a prime, and permutation
composition) with no warm-up, with a 10-step warm-up, and with a warm-up over half of training.
In a deliberately small configuration (100 update steps, one seed), the final training loss
increases with the warm-up length on @@train_k@@ tasks (on modular division from @@div_tl_none@@
without warm-up to @@div_tl_long@@ with the long one), while the final validation loss, which
rises as the network memorises, decreases with it on @@val_k@@ tasks (from @@div_vl_none@@ to
@@div_vl_long@@). No run reaches 99\% training or validation accuracy within the budget, so
whether warm-up delays or advances grokking itself remains open; the measurements we add are the
ones a full-length study needs.
"""

INTRODUCTION = r"""% The phenomenon and why its training dynamics matter.
Small transformers trained on algorithmic tasks such as modular arithmetic first fit their
training set and only much later generalise to held-out equations, a delay known as grokking
\citep{power2022grokking}. Because the delay can last thousands of steps, which parts of the
training recipe lengthen or shorten it is a practical question as well as a scientific one.

% The gap: warm-up is part of every recipe but is not varied.
The usual recipe trains with AdamW \citep{loshchilov2019decoupled} and decoupled weight decay
after a short linear learning-rate warm-up. Weight decay has received most of the attention; the
warm-up is typically fixed at a few dozen steps and left alone. Yet the warm-up sets the size of
the first updates, exactly when the network moves fastest towards memorising its training set, so
it could change how long memorisation takes and the state the network is in when it ends.

% What makes the question hard to measure.
Measuring this is not straightforward: a fixed warm-up length means something
different at different training budgets, and the moment at which memorisation ends is not among
the usual summary metrics, which report only final accuracies and the step at which validation
accuracy reaches 99\%.

% Contributions.
Our contributions are:
\begin{itemize}
  \item a learning-rate warm-up parameterised as a fraction of the training budget, so that one
  setting means the same at any number of steps, implemented as a small change to a standard
  grokking script;
  \item a measurement of the end of memorisation, the first evaluation step at which training
  accuracy reaches 99\%, recorded next to the step at which validation accuracy does;
  \item a controlled comparison of no warm-up, a short warm-up and a warm-up over half of training
  on four algorithmic tasks, showing that at a short budget a longer warm-up slows the fitting of
  the training set and keeps the validation loss lower.
\end{itemize}

% How the claims are verified, and the scope of the evidence.
We test these claims with three runs of a reduced configuration of the experiment (100 update
steps, one seed), described in Section~\ref{sec:experimental}. At this scale no run generalises,
so our results concern the memorisation phase only; Section~\ref{sec:results} states what they
do not show.
"""

BACKGROUND = r"""% Grokking and the recipe it is usually studied with.
Grokking was first reported by \citet{power2022grokking} for small transformers
\citep{vaswani2017attention} trained on tables of binary operations: training accuracy reaches
100\% early, while validation accuracy stays near chance and rises to nearly 100\% only after many
more updates. Weight decay, applied in the decoupled form of AdamW \citep{loshchilov2019decoupled},
is the regulariser most consistently associated with the eventual generalisation.

% Learning-rate warm-up.
A learning-rate warm-up increases the learning rate linearly from a small value to its target
over the first steps of training and is a standard part of training transformers with adaptive
optimisers, where large early updates can destabilise training.

\subsection{Problem Setting}
\label{sec:problem}
% Notation used in the rest of the paper.
Let $\circ$ be a binary operation on a finite set $\mathcal{X} = \{0, \dots, n-1\}$. Each
equation $a \circ b = c$ is presented to the model as the token sequence
$(a, \texttt{op}, b, \texttt{=})$, and the model $f_\theta$ predicts $c$ from its output at the
last position. All equations are enumerated and split uniformly at random into a training set
$\mathcal{D}_{\text{train}}$ and a validation set $\mathcal{D}_{\text{val}}$ of equal size. The
parameters are updated for $T$ steps with AdamW at base learning rate $\eta$; the update at step
$t = 0, \dots, T-1$ uses the learning rate
\begin{equation}
  \eta_t = \eta \, \min\left(1, \frac{t+1}{W}\right),
  \label{eq:warmup}
\end{equation}
where $W \geq 1$ is the warm-up length ($W = 1$ means no warm-up). We write $s_{\text{train}}$
and $s_{\text{val}}$ for the first evaluation steps at which accuracy on the full training and
validation sets reaches 99\%, recording $T$ when that never happens; grokking is a large gap
$s_{\text{val}} - s_{\text{train}}$. As in the code, we assume $W \leq T$ and a constant learning
rate after the warm-up.
"""

METHOD = r"""% The change: the warm-up as a fraction of the budget.
We replace the fixed warm-up length by a fraction $\rho \in [0, 1]$ of the training budget,
\begin{equation}
  W = \max\bigl(1, \operatorname{round}(\rho T)\bigr),
  \label{eq:fraction}
\end{equation}
and leave the schedule of Equation~\eqref{eq:warmup} otherwise unchanged. Tying $W$ to $T$ keeps
the shape of the schedule when the number of steps changes, so that results at different budgets
can be compared: a warm-up of 50 steps covers under 1\% of a 7500-step run but half of a 100-step
one. In the code, $\rho$ is a new configuration field \texttt{warmup\_fraction} which, when
non-negative, takes precedence over the old \texttt{warmup\_steps}; the $W$ a run used is written
to its results.

% The settings compared and why.
We compare three settings: no warm-up ($\rho = 0$, hence $W = 1$), the baseline's fixed warm-up
of $W = 10$ steps (equivalent to $\rho = 0.1$ at the budget used here), and a long warm-up over
half of training ($\rho = 0.5$). The two extremes bracket the baseline, so an effect of the
warm-up on memorisation should show as a monotone ordering of the three runs.

% The added measurement.
To locate the end of memorisation we record $s_{\text{train}}$ next to $s_{\text{val}}$; both
are computed from the same periodic evaluations on the full splits. Model, data, optimiser,
weight decay, batch sampling and seed are identical across runs, so differences between runs are
due to the schedule alone.
"""

SETUP = r"""% The data, as the code builds it.
We use the four tasks of the experiment script in its reduced configuration: addition,
subtraction and division modulo $p = 13$ (169 equations for addition and subtraction and 156 for
division, which excludes $y = 0$) and composition of permutations of three elements, the group
$S_3$ (36 equations). Half of the equations of each task, chosen at random with the seed, are
used for training and the rest for validation.

% Model, optimisation and evaluation.
The model is a pre-LayerNorm decoder-only transformer with one layer of width 32, two attention
heads and an MLP ratio of 2, with learned positional embeddings, reading the answer from its
output at the ``='' position. It is trained for $T = 100$ steps with AdamW (base learning rate
$10^{-3}$, $\beta = (0.9, 0.98)$, weight decay 0.5 on weight matrices and embeddings, none on
biases and LayerNorm parameters), batches of 64 equations sampled with replacement, and
gradient-norm clipping at 1. Each setting is trained once per task, with seed 0. Every 20 steps
the loss and accuracy on the full training and validation splits are recorded; we report the
final values, $s_{\text{train}}$ and $s_{\text{val}}$ (100 meaning that 99\% was not reached).

% The runs.
The runs differ only in the warm-up:
\begin{itemize}
  \item Run 0 (baseline): fixed warm-up of $W = 10$ steps;
  \item Run 1: no warm-up, $\rho = 0$ ($W = 1$);
  \item Run 2: long warm-up, $\rho = 0.5$ ($W = 50$).
\end{itemize}
This configuration is far smaller than the one at which grokking is usually studied (modulus 97,
thousands of steps, several seeds); we treat its results as a pilot.
"""

RESULTS_SEARCH = r"""RESULTS HERE

% Example of a figure made by plot.py (uncomment once the PNG files exist):
% \begin{figure}[t]
%   \centering
%   \begin{subfigure}{0.49\textwidth}
%     \includegraphics[width=\textwidth]{train_acc_x_div_y.png}
%     \caption{Training accuracy, $x \div y$.}
%     \label{fig:train_acc_x_div_y}
%   \end{subfigure}
%   \hfill
%   \begin{subfigure}{0.49\textwidth}
%     \includegraphics[width=\textwidth]{val_acc_x_div_y.png}
%     \caption{Validation accuracy, $x \div y$.}
%     \label{fig:val_acc_x_div_y}
%   \end{subfigure}
%   \caption{Accuracy curves on modular division (mean over seeds, shaded standard error).}
%   \label{fig:acc_x_div_y}
% \end{figure}
"""

RESULTS = r"""% The main result: the ordering of final losses across the three runs.
Table~\ref{tab:losses} and Figure~\ref{fig:final} give the final losses of the three runs.
Lengthening the warm-up slows the fitting of the training set: the final training loss increases
from no warm-up to the baseline to the long warm-up on @@train_k@@ tasks; on modular division it
is @@div_tl_none@@, @@div_tl_base@@ and @@div_tl_long@@. The final validation loss moves the other
way on @@val_k@@ tasks, most on permutation composition, from @@perm_vl_none@@ without warm-up to
@@perm_vl_long@@ with the long warm-up.

\begin{table}[t]
  \centering
  \caption{Final training and validation loss after 100 steps (one seed) for no warm-up
  ($\rho = 0$), the baseline's 10-step warm-up and a warm-up over half of training
  ($\rho = 0.5$).}
  \label{tab:losses}
  \begin{tabular}{lcccccc}
    \toprule
    & \multicolumn{3}{c}{Training loss} & \multicolumn{3}{c}{Validation loss} \\
    \cmidrule(lr){2-4} \cmidrule(lr){5-7}
    Task & none & 10 steps & 50 steps & none & 10 steps & 50 steps \\
    \midrule
@@table@@
    \bottomrule
  \end{tabular}
\end{table}

\begin{figure}[t]
  \centering
  \begin{subfigure}{0.49\textwidth}
    \includegraphics[width=\textwidth]{final_train_loss.png}
    \caption{Final training loss.}
    \label{fig:final_train}
  \end{subfigure}
  \hfill
  \begin{subfigure}{0.49\textwidth}
    \includegraphics[width=\textwidth]{final_val_loss.png}
    \caption{Final validation loss.}
    \label{fig:final_val}
  \end{subfigure}
  \caption{Final losses per task after 100 steps for the three warm-up settings (one seed, so
  no error bars).}
  \label{fig:final}
\end{figure}

% No run completes memorisation or generalises.
Neither effect comes with a change in what the network has learned. Validation accuracy stays
near chance in every run (at most @@max_va@@, where chance is $1/13 \approx 0.08$ on the modular
tasks and $1/6$ on $S_3$), training accuracy stays below 99\% (at most
@@max_ta@@), and $s_{\text{train}} = s_{\text{val}} = 100$ for
every task and run, i.e.\ neither threshold is reached within the budget.

% The dynamics behind the final numbers.
The curves on permutation composition (Figure~\ref{fig:curves}) show how the final numbers
arise. The runs separate from the first evaluation on: during its 50 warm-up steps the long
warm-up lowers the training loss more slowly. The validation loss rises as the training set is
memorised, on this task from the first evaluation on; the long warm-up slows this rise and ends
lowest, while without warm-up it rises fastest.

\begin{figure}[t]
  \centering
  \begin{subfigure}{0.49\textwidth}
    \includegraphics[width=\textwidth]{train_loss_permutation.png}
    \caption{Training loss.}
    \label{fig:curves_train}
  \end{subfigure}
  \hfill
  \begin{subfigure}{0.49\textwidth}
    \includegraphics[width=\textwidth]{val_loss_permutation.png}
    \caption{Validation loss.}
    \label{fig:curves_val}
  \end{subfigure}
  \caption{Loss curves on permutation composition ($S_3$) for the three warm-up settings,
  evaluated every 20 steps (log scale).}
  \label{fig:curves}
\end{figure}

% Limitations of the evidence.
These results have clear limits. Each setting was run once, with one seed, so there are no error
bars, and differences of a few hundredths on tasks with 18 to 84 training equations may be within
seed-to-seed variation. At 100 steps no run memorises its training set or generalises, so the
experiment says nothing yet about the timing of grokking, which motivated it; it shows only that
the warm-up changes the state of the network at the end of a short budget. The lower validation
loss of the long warm-up is also what one expects from a network that has simply moved less from
its initialisation, and by itself does not indicate better generalisation.
"""

CONCLUSION = r"""% Recap.
We asked how the length of the learning-rate warm-up shapes training on grokking tasks, made the
warm-up a fraction of the training budget, and added a measurement of when memorisation ends. In
a small configuration a longer warm-up slowed the fitting of the training set on @@train_k@@
tasks and kept the validation loss lower on @@val_k@@, while no run reached the end of
memorisation or the generalisation phase.

% Future work that follows from the results.
The next steps follow directly. First, run the same three settings at the full budget (7500
steps, $p = 97$, three seeds), where $s_{\text{train}}$ and $s_{\text{val}}$ are reached and the
gap between them can be compared across warm-up lengths. Second, sweep $\rho$ more finely between
0 and 0.5 to see whether the effect is monotone. Third, separate the effect of the warm-up from
that of the smaller distance the weights travel under it, for example by logging the weight norm
during training or by matching the total learning rate across settings.
"""

RELATED = r"""% What drives grokking and controls its delay.
Since \citet{power2022grokking} reported grokking, most follow-up work has asked what drives the
transition and what controls its delay, varying weight decay, the training fraction, the
initialisation or the optimiser, mostly with the learning-rate schedule kept fixed.

% cite: papers on adaptive optimisers and grokking (the slingshot mechanism), to contrast optimiser dynamics late in training with our change at its start.
Studies of the optimiser's role look at its dynamics late in training; our change acts at the
very start instead.

% Warm-up: why it is used.
% cite: analyses of why warm-up is needed with Adam (variance of the adaptive learning rate) and with Post-LN transformers, to contrast their stability motive with our question.
Learning-rate warm-up is mainly used to stabilise adaptive optimisers and transformers early in
training. These analyses explain why a warm-up is needed for stable training; they do not ask how
its length changes what the network memorises or when it generalises, which is our question.

% Weight decay: kept fixed here.
Weight decay, in the decoupled form of \citet{loshchilov2019decoupled}, is the part of the recipe
most often varied in grokking studies; we keep it fixed and vary only the schedule.
"""

RELATED_SLINGSHOT_SEARCH = r"""% cite: papers on adaptive optimisers and grokking (the slingshot mechanism), to contrast optimiser dynamics late in training with our change at its start.
Studies of the optimiser's role look at its dynamics late in training; our change acts at the
very start instead.
"""

RELATED_SLINGSHOT = r"""% The optimiser's role: late-training dynamics, not the schedule at the start.
\citet{@@thilak@@} relate grokking to cyclic instabilities of adaptive optimisers late in
training, the slingshot mechanism, which occur long after any warm-up has ended; our change acts
at the very start of training instead.
"""

RELATED_WARMUP_SEARCH = r"""% cite: analyses of why warm-up is needed with Adam (variance of the adaptive learning rate) and with Post-LN transformers, to contrast their stability motive with our question.
Learning-rate warm-up is mainly used to stabilise adaptive optimisers and transformers early in
training. These analyses explain why a warm-up is needed for stable training; they do not ask how
"""

RELATED_WARMUP = r"""Learning-rate warm-up is mainly used to stabilise adaptive optimisers and transformers early in
training: \citet{@@liu@@} trace the need for it with Adam to the high variance of the adaptive
learning rate in the first steps, and \citet{@@xiong@@} show that Post-LN transformers need it
while Pre-LN transformers, like the one used here, can be trained without it. These analyses
explain why a warm-up is needed for stable training; they do not ask how
"""

SECOND_REFINE = """I read the paper from beginning to end. The sections use the same names for the
same things (warm-up fraction rho, warm-up length W, s_train and s_val), the claims in the
abstract and introduction are the ones the results support and are limited to the memorisation
phase, every number is one in notes.txt, and the four figures exist, are each included once and
are referenced from the text. The limitations are stated once, in the Results. I find nothing
that needs an edit."""

CITE_QUERY_1 = """THOUGHT:
The Related Work has two placeholder comments. The warm-up paragraph claims that warm-up is used
to stabilise adaptive optimisers and transformers and refers to "these analyses" without citing
any; the papers that explain why Adam and Post-LN transformers need a warm-up belong there.

RESPONSE:
```json
{"Description": "Related Work, the warm-up paragraph: cite the analyses of why warm-up is needed with Adam and in Post-LN transformers, replacing the `% cite:` comment.", "Query": "@@query@@"}
```"""

CITE_SELECT_1 = """THOUGHT:
"On the Variance of the Adaptive Learning Rate and Beyond" (Liu et al.) explains warm-up with
Adam by the variance of the adaptive learning rate, and "On Layer Normalization in the
Transformer Architecture" (Xiong et al.) shows that Post-LN transformers need a warm-up while
Pre-LN ones, like ours, do not. Both support the paragraph directly. Goyal et al. use warm-up for
large-batch SGD, a different motive, and the others are less specific.

RESPONSE:
```json
{"Selected": @@sel@@, "Description": "In Related Work, the warm-up paragraph: replace the `% cite:` comment and extend its first sentence so that it cites Liu et al. for the variance of Adam's adaptive learning rate and Xiong et al. for Post-LN versus Pre-LN transformers, noting that our model is Pre-LN."}
```"""

CITE_QUERY_2 = """THOUGHT:
The first paragraph of the Related Work still has a placeholder: the sentence on the optimiser's
role in grokking should cite the work that links adaptive optimisers to grokking.

RESPONSE:
```json
{"Description": "Related Work, second paragraph: cite the paper on adaptive optimisers and grokking (slingshot mechanism), replacing the `% cite:` comment.", "Query": "@@query@@"}
```"""

CITE_SELECT_2 = """THOUGHT:
"The Slingshot Mechanism: An Empirical Study of Adaptive Optimizers and the Grokking Phenomenon"
is exactly the paper the sentence refers to. The circuit-efficiency and lazy-to-rich papers
explain grokking without focusing on the optimiser, so they do not support this sentence.

RESPONSE:
```json
{"Selected": @@sel@@, "Description": "In Related Work, the paragraph on the optimiser's role: replace the `% cite:` comment and the sentence under it with one that cites Thilak et al. for cyclic instabilities of adaptive optimisers late in training (the slingshot mechanism) and contrasts them with our change at the start of training."}
```"""

CITE_DONE = """THOUGHT:
Grokking, the transformer and AdamW are cited where they are used, the warm-up analyses and the
slingshot paper fill the Related Work's placeholders, and the remaining claims are our own
results. No more citations needed."""

REVIEW = {
    "Summary": (
        "The paper asks how the length of the linear learning-rate warm-up affects training on "
        "grokking tasks. It parameterises the warm-up as a fraction of the training budget, adds "
        "a measurement of when training accuracy reaches 99%, and compares no warm-up, a "
        "10-step warm-up and a warm-up over half of training for a one-layer transformer on "
        "modular addition, subtraction and division (p = 13) and S_3 composition, trained for "
        "100 steps with one seed. It reports that a longer warm-up leaves a higher final "
        "training loss (on @@train_k@@ tasks) and a lower final validation loss (on @@val_k@@), "
        "while no run reaches 99% training or validation accuracy."),
    "Strengths": [
        "The question is well posed: warm-up is part of the standard grokking recipe but is "
        "rarely varied, and the fraction-of-budget parameterisation is a sensible way to make "
        "runs at different budgets comparable.",
        "The paper is candid about its scope: it states that no run generalises, that the "
        "evidence concerns the memorisation phase only, and that the lower validation loss may "
        "reflect weights that moved less.",
        "The method is described precisely (the schedule, the added measurement, all "
        "hyperparameters) and is easy to reproduce.",
    ],
    "Weaknesses": [
        "The experiments cannot answer the question that motivates the paper: at 100 steps no "
        "run memorises its training set or generalises, so nothing is learned about the timing "
        "of grokking.",
        "A single seed per setting and differences of a few hundredths in loss on tasks with "
        "18 to 84 training equations give no way to tell the effect from noise; no error bars "
        "or repeated runs are reported.",
        "The main observation, that smaller early learning rates slow the decrease of the "
        "training loss within a fixed short budget, is expected and is not separated from the "
        "simple reduction of the total learning rate.",
        "Only two warm-up values besides the baseline are tested, so the claimed monotone "
        "effect rests on three points per task.",
    ],
    "Originality": 2,
    "Quality": 2,
    "Clarity": 3,
    "Significance": 1,
    "Questions": [
        "Does the ordering of the runs hold across seeds, and how large is the seed-to-seed "
        "variation of the final losses at this scale?",
        "At the full budget (7500 steps, p = 97), how do s_train and s_val and their gap change "
        "with the warm-up fraction?",
        "Can the effect of the warm-up be separated from the lower average learning rate, for "
        "example by matching the total learning rate across settings?",
    ],
    "Limitations": [
        "The authors acknowledge the single seed, the small scale and the absence of "
        "generalisation; these limitations are severe enough that the conclusions are "
        "preliminary.",
        "No negative societal impact is expected from this work.",
    ],
    "Ethical Concerns": False,
    "Soundness": 2,
    "Presentation": 3,
    "Contribution": 1,
    "Overall": 3,
    "Confidence": 4,
    "Decision": "Reject",
}

REVIEW_1 = """THOUGHT:
The paper is clearly written and honest about its scope, and the idea of parameterising the
warm-up as a fraction of the budget is reasonable. But the evidence is a pilot: 100 steps, one
seed, tasks with a few dozen training equations, and no run that memorises or generalises. The
observed effect (a longer warm-up leaves a higher training loss and a lower validation loss
after a fixed short budget) is what smaller early steps would produce in any network, and the
paper cannot tell it from seed noise or from the lower total learning rate. The question that
motivates the paper, how warm-up affects grokking, is not answered. The presentation is
good; the contribution is small. I recommend rejection, with encouragement to run the full-size
experiment with several seeds.

REVIEW JSON:
```json
@@review@@
```"""

REVIEW_2 = """THOUGHT:
I checked the review against the paper. The summary matches the paper's claims and numbers, the
weaknesses are specific and acknowledged in part by the authors, and the scores are consistent
with them and with the decision: sound presentation, weak evidence, small contribution. I see
nothing to change. I am done.

REVIEW JSON:
```json
@@review@@
```"""


# ---------------------------------------------------------------------------------------------
# The server


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(researcher, queries_seen, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def send_json(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self.send_json(404, {"error": {"message": "not found"}})
            try:
                body = json.loads(raw)
                text = researcher.answer(body)
            except Unexpected as e:
                researcher.problems.append(str(e))
                return self.send_json(400, {"error": {"message": "record_demo: " + str(e),
                                                      "type": "invalid_request_error"}})
            except Exception as e:  # a bug in this script: report it, do not hang the launch
                researcher.problems.append(f"{type(e).__name__}: {e}")
                return self.send_json(400, {"error": {"message": f"record_demo: {e}",
                                                      "type": "invalid_request_error"}})
            prompt_chars = sum(len(m.get("content", "")) for m in body.get("messages", []))
            self.send_json(200, {
                "id": "chatcmpl-demo",
                "object": "chat.completion",
                "model": "recorded-demo",
                "choices": [{"index": 0,
                             "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_chars // 4,
                          "completion_tokens": len(text) // 4,
                          "total_tokens": prompt_chars // 4 + len(text) // 4},
            })

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            params = urllib.parse.parse_qs(url.query)
            if url.path == "/graph/v1/paper/search":
                query = params.get("query", [""])[0]
                limit = int(params.get("limit", ["10"])[0])
                keys = search_papers(query, limit)
                with lock:
                    queries_seen.setdefault(query, keys)
                return self.send_json(200, {"total": len(keys), "offset": 0,
                                            "data": [s2_paper(k) for k in keys]})
            return self.send_json(404, {"error": "not found"})

    return Handler


# ---------------------------------------------------------------------------------------------
# Running the launch and writing the files


def fail(message):
    print(f"record_demo: {message}", file=sys.stderr)
    sys.exit(1)


def read_jsonl(path):
    entries = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            entries.append(json.loads(line))
    return entries


def clean_entry(e):
    if "response" not in e:
        fail(f"the transcript holds a failed call ({e.get('stage')}, {e.get('conversation')}, "
             f"turn {e.get('turn')}): {e.get('error')}")
    out = {
        "v": e.get("v", 1),
        "time": FIXED_TIME,
        "stage": e["stage"],
        "conversation": e["conversation"],
        "turn": e["turn"],
        "idea": e.get("idea", ""),
        "model": "replay/demo",
        "response": {"texts": e["response"]["texts"], "model": "recorded-demo",
                     "provider": "replay", "finish_reason": e["response"].get("finish_reason",
                                                                              "stop")},
        "usage": {"input_tokens": 0, "output_tokens": 0, "cached_input_tokens": 0,
                  "cache_write_tokens": 0},
        "cost_usd": 0.0,
        "latency_ms": 0,
        "replayed": False,
    }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=str(REPO / "build" / "ai-scientist"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary results folder")
    ap.add_argument("--dry-run", action="store_true",
                    help="record and check, but do not write data/demo/")
    args = ap.parse_args()

    binary = Path(args.binary)
    if not binary.is_file():
        fail(f"{binary} does not exist: build it first (ninja -C build)")
    template_system = json.loads((REPO / "templates" / "grokking" / "prompt.json").read_text())[
        "system"]
    researcher = Researcher(template_system)
    queries_seen = {}
    lock = threading.Lock()
    server = Server(("127.0.0.1", 0), make_handler(researcher, queries_seen, lock))
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    work = Path(tempfile.mkdtemp(prefix="record_demo_"))
    results = work / "results"
    home = work / "home"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "S2_BASE_URL": f"http://127.0.0.1:{port}",
        "COMPAT_API_KEY": "record-demo-loopback-key",
    }
    cmd = [str(binary), "launch", "--template", "grokking", "--model", "compat/demo",
           "--llm-base-url", f"http://127.0.0.1:{port}/v1", "--engine", "s2", "--smoke",
           "--num-ideas", "1", "--num-reflections", "2", "--review-ensemble", "1",
           "--review-reflections", "2", "--cite-rounds", "3", "--max-runs", "2",
           "--results", str(results)]
    print("record_demo: " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=REPO, env=env)
    server.shutdown()

    ok = False
    try:
        if researcher.problems:
            fail("the scripted researcher could not answer:\n  - "
                 + "\n  - ".join(researcher.problems)
                 + f"\n(the run is in {work}; adapt Researcher.answer in {__file__})")
        if proc.returncode != 0:
            fail(f"the launch exited with {proc.returncode} (the run is in {work})")
        launches = sorted((results / "grokking").glob("launch_*"))
        if not launches:
            fail(f"no launch folder under {results / 'grokking'}")
        run_dir = launches[-1]
        summary = json.loads((run_dir / "summary.json").read_text())
        ideas = summary["ideas"]
        if len(ideas) != 1 or ideas[0]["status"] != "done":
            fail(f"the idea did not finish: {json.dumps(ideas, indent=2)}")
        folder = Path(ideas[0]["folder"])
        pdf = Path(ideas[0]["pdf"]) if ideas[0]["pdf"] else None
        if pdf is None or not pdf.is_file():
            fail(f"the launch made no PDF (see {folder / 'writeup.json'})")
        review_file = folder / "review.txt"
        if not review_file.is_file():
            fail(f"the launch wrote no review.txt in {folder}")
        review = json.loads(review_file.read_text())
        for key in ("Summary", "Overall", "Decision"):
            if key not in review:
                fail(f"review.txt has no {key!r}")
        writeup = json.loads((folder / "writeup.json").read_text())
        if writeup.get("repair_rounds") or writeup.get("check_rounds"):
            fail(f"the paper needed repairs (writeup.json: {writeup}); the transcript would not "
                 f"replay the same way on every machine")

        entries = read_jsonl(run_dir / "llm_transcript.jsonl") + read_jsonl(
            folder / "llm_transcript.jsonl")
        seen = set()
        for e in entries:
            key = (e["stage"], e["conversation"], e["turn"])
            if key in seen:
                fail(f"two calls share the key {key}")
            seen.add(key)
        lines = [json.dumps(clean_entry(e), ensure_ascii=False, separators=(",", ":"))
                 for e in entries]
        literature = {"queries": {q: [recorded_paper(k) for k in keys]
                                  for q, keys in queries_seen.items()}}
        transcript_text = "\n".join(lines) + "\n"
        literature_text = json.dumps(literature, indent=2, ensure_ascii=False) + "\n"
        print(f"record_demo: the launch finished: {pdf.name}, review {review['Decision']} "
              f"(Overall {review['Overall']}); {len(lines)} model calls, "
              f"{len(queries_seen)} literature queries")
        ok = True
        if args.dry_run:
            print("record_demo: --dry-run: nothing written")
            return
        TRANSCRIPT_OUT.parent.mkdir(parents=True, exist_ok=True)
        TRANSCRIPT_OUT.write_text(transcript_text)
        LITERATURE_OUT.write_text(literature_text)
        print(f"record_demo: wrote {TRANSCRIPT_OUT.relative_to(REPO)} "
              f"({len(transcript_text.encode()) // 1024} KiB) and "
              f"{LITERATURE_OUT.relative_to(REPO)}; rebuild (ninja -C build) to embed them")
    finally:
        if args.keep or not ok:
            print(f"record_demo: the run is kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
