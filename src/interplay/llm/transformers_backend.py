"""Local Hugging Face causal language models (optional extra ``interplay[local]``).

``choose`` scores every option by the summed log-likelihood of its tokens after
the prompt (the standard multiple-choice scoring of lm-evaluation-harness,
Gao et al. 2021), in batches of ``batch_size``, and returns the argmax with all
scores:

    score(o) = sum_t log p(o_t | prompt, o_<t)

The prompt is the chat rendered with the tokenizer's chat template (with the
generation prompt), or, for tokenizers without one, ``"role: content"`` lines
ending in ``"assistant:"``; the choice instruction of the HTTP backend is
appended as a last user turn so both backends see the same question. Option
tokens are those of ``tokenize(prompt + " " + option)`` after the prompt's own
tokens (the option follows a space, as an answer would).

``generate`` decodes greedily at temperature 0 and samples otherwise (torch's
generator is seeded from ``seed`` under the model's lock, so a seed gives the
same sample). Model calls run in a worker thread
(one at a time per model) so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from interplay.errors import InterplayError
from interplay.llm.base import ChatModel, Choice, Completion


def render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text a chat becomes for this tokenizer."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant:"


class TransformersModel(ChatModel):
    """A causal LM loaded with ``AutoModelForCausalLM.from_pretrained(path)``."""

    provider = "transformers"

    def __init__(self, path: str | Path | None, *, device: str = "cpu", dtype: str = "float32", batch_size: int = 16,
                 name: str | None = None, **kwargs: Any) -> None:
        if path is None:
            raise InterplayError("transformers model: 'path' is required.")
        self.path = Path(path).expanduser()
        super().__init__(name or self.path.name, **kwargs)
        if not self.path.is_dir():
            raise InterplayError(f"transformers model: no model folder at {self.path}.")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - the extra is installed in dev
            raise InterplayError(f"transformers model: install the extra `interplay[local]` ({exc}).") from None
        self._torch = torch
        dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtypes[dtype]).to(device)
        except (OSError, ValueError) as exc:
            raise InterplayError(f"transformers model {self.path}: cannot load ({exc}).") from None
        self.model.eval()
        self.device = device
        self.batch_size = int(batch_size)
        self._lock = threading.Lock()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token

    def identity(self) -> dict[str, Any]:
        return {"provider": "transformers", "model": self.path.name}

    # -- scoring -------------------------------------------------------------------
    def option_token_ids(self, prompt: str, option: str) -> tuple[list[int], list[int]]:
        """(prompt ids, option ids): the option's tokens are those after the prompt's."""
        p = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full = self.tokenizer(prompt + " " + option, add_special_tokens=False)["input_ids"]
        if full[:len(p)] != p or len(full) == len(p):  # tokenization merged across the boundary
            return p, self.tokenizer(" " + option, add_special_tokens=False)["input_ids"]
        return p, full[len(p):]

    def score_options(self, prompt: str, options: list[str]) -> list[float]:
        """Summed log-likelihood of each option's tokens after ``prompt`` (batched, right-padded)."""
        torch = self._torch
        seqs = [self.option_token_ids(prompt, o) for o in options]
        scores: list[float] = []
        pad = int(self.tokenizer.pad_token_id)
        with self._lock, torch.no_grad():
            for start in range(0, len(seqs), self.batch_size):
                batch = seqs[start:start + self.batch_size]
                ids = [p + o for p, o in batch]
                width = max(len(x) for x in ids)
                input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
                mask = torch.zeros((len(ids), width), dtype=torch.long)
                for i, x in enumerate(ids):
                    input_ids[i, :len(x)] = torch.tensor(x)
                    mask[i, :len(x)] = 1
                logits = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)).logits
                logp = torch.log_softmax(logits.float(), dim=-1)
                for i, (p, o) in enumerate(batch):
                    # token at position t is predicted by the logits at t - 1
                    pos = torch.arange(len(p) - 1, len(p) + len(o) - 1)
                    scores.append(float(logp[i, pos, torch.tensor(o)].sum()))
        return scores

    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        from interplay.llm.openai_backend import choice_instruction

        chat = [*messages, {"role": "user", "content": choice_instruction(options, json_format=False)}]
        prompt = render_chat(self.tokenizer, chat)
        scores = await asyncio.to_thread(self.score_options, prompt, options)
        index = max(range(len(options)), key=lambda i: scores[i])
        n_prompt = len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        completion = Completion(text=options[index], prompt_tokens=n_prompt, completion_tokens=0,
                                model=self.name, finish_reason="scored")
        return Choice(index=index, option=options[index], scores=tuple(scores), completion=completion)

    # -- generation ----------------------------------------------------------------
    def _generate_sync(self, prompt: str, temperature: float, max_tokens: int | None, seed: int | None,
                       stop: list[str] | None) -> Completion:
        torch = self._torch
        enc = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens or 128, "pad_token_id": self.tokenizer.pad_token_id}
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_k=0)
        else:
            kwargs.update(do_sample=False)
        with self._lock, torch.no_grad():
            if seed is not None:
                torch.manual_seed(int(seed))
            out = self.model.generate(**enc, **kwargs)
        new = out[0, enc["input_ids"].shape[1]:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        finish = "length" if len(new) >= kwargs["max_new_tokens"] else "stop"
        for s in stop or []:
            cut = text.find(s)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        return Completion(text=text, prompt_tokens=int(enc["input_ids"].shape[1]), completion_tokens=int(len(new)),
                          model=self.name, finish_reason=finish)

    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        prompt = render_chat(self.tokenizer, messages)
        return await asyncio.to_thread(self._generate_sync, prompt, temperature, max_tokens, seed, stop)
