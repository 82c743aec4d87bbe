"""Local Hugging Face causal language models (optional extra ``interplay[local]``).

A model is a folder (``save_pretrained`` output), a GGUF file, or the bundled
SmolLM2-135M-Instruct (``model: smollm2-135m``); GGUF files are made into a plain
folder once (see :mod:`interplay.llm.bundled`).

``choose`` scores every option by the summed log-likelihood of its tokens after
the prompt (the multiple-choice scoring of lm-evaluation-harness, Gao et al. 2021)
and returns the argmax with all scores:

    score(o) = sum_t log p(c_t | prompt, c_<t),   c = the tokens of o's continuation

The prompt is the chat rendered with the tokenizer's chat template (with the
generation prompt) after the choice instruction of the HTTP backend, appended as a
last user turn so both backends see the same question. The continuation is exactly
what the template writes for an assistant turn that answers ``o``: with SmolLM2's
template that is ``o<|im_end|>`` straight after ``<|im_start|>assistant\\n`` (no
leading space, which the model finds unlikely: log p(" C") = -12.3 against
log p("C") = -4.7 on the IPD prompt), and the end-of-turn token makes an option that
is a prefix of another (``C`` / ``Cooperate``) pay for stopping. Tokenizers without a
chat template get ``"role: content"`` lines ending in ``"assistant:"``, and the option
follows a space.

Speed (2 CPU cores): every call goes to one worker thread per model that gathers the
requests arriving (until none came for ``batch_wait`` seconds, or ``batch_size`` are in)
and runs them as one batch, so concurrent matches share forward passes. Keys and
values of prompts already seen are kept (a store of prefixes, bounded by
``kv_cache_tokens``): a new prompt is run only from the end of its longest cached
prefix, so the rules, the payoff table and the history of earlier rounds of a match
are not run again. A choice runs in one pass: after each prompt, the options' tokens
(all but the last) are extra rows of branches that see the whole prompt and their own
earlier tokens but not each other, and only the positions that predict a scored token
go through the output layer. Generation decodes greedily at temperature 0 and samples
otherwise, each row from its own ``torch.Generator`` seeded with the call's seed, so a
seed gives the same answer whatever else is in the batch.

``threads`` sets torch's intra-op threads (default: half the CPU cores, at least 1):
on 2 cores with the other core busy, 2 threads made 50 tokens take 37 s against
3 to 5 s with 1 (threads spinning against a busy core).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from interplay.errors import InterplayError
from interplay.llm.base import ChatModel, Choice, Completion


def render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The prompt text a chat becomes for this tokenizer."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant:"


def answer_continuation(tokenizer: Any, messages: list[dict[str, str]], answer: str) -> tuple[str, str]:
    """(prompt, continuation): what the chat template writes after the generation prompt for ``answer``.

    With a template this is the assistant turn as the template renders it, trailing
    whitespace after its end-of-turn marker removed; without one, ``" " + answer``.
    """
    prompt = render_chat(tokenizer, messages)
    if not getattr(tokenizer, "chat_template", None):
        return prompt, " " + answer
    full = tokenizer.apply_chat_template([*messages, {"role": "assistant", "content": answer}], tokenize=False,
                                         add_generation_prompt=False)
    if full.startswith(prompt) and answer in full[len(prompt):]:
        return prompt, full[len(prompt):].rstrip()
    return prompt, answer  # a template that rewrites assistant turns: the bare answer


def default_threads() -> int:
    """Half the CPU cores, at least one (see the module docstring)."""
    return max(1, (os.cpu_count() or 2) // 2)


#: A prefix shared by a batch is run on its own first when it is at least this long.
_MIN_SHARED = 16


def _common_prefix(ids: list[np.ndarray]) -> int:
    """Length of the longest common prefix of token arrays, short of the shortest one's last token."""
    n = min(len(x) for x in ids) - 1
    if n <= 0:
        return 0
    first = ids[0][:n]
    k = n
    for x in ids[1:]:
        eq = first[:k] == x[:k]
        k = k if eq.all() else int(np.argmin(eq))
        if k == 0:
            break
    return k


@dataclass
class _Request:
    prompt: list[int]
    options: list[list[int]] | None = None      # choose: the continuation ids of each option
    max_tokens: int = 0                         # generate
    temperature: float = 0.0
    seed: int | None = None
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


@dataclass
class _Pass:
    """One batched pass over prompts (and their branches): see :meth:`TransformersModel._prefill`."""

    hidden: Any                      # [B, Q, H]: the last layer's states of the query block
    kv: list[tuple[Any, Any]]        # per layer (K, V) [B, h, C + Q, d]
    valid: Any                       # [B, C + Q]: the key slots of each row's prompt (no branches, no padding)
    cs: list[int]                    # cached prefix length of each row
    ss: list[int]                    # prompt tokens run for each row (its columns 0 .. ss - 1)
    starts: list[list[int]]          # first column of each branch of each row


class PrefixStore:
    """Keys and values of recently run prompts, by token ids, bounded by their total length (LRU)."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = int(max_tokens)
        self.entries: OrderedDict[int, tuple[np.ndarray, list[tuple[Any, Any]]]] = OrderedDict()
        self.tokens = 0
        self._next = 0
        self.hits_tokens = 0
        self.run_tokens = 0

    def longest(self, ids: np.ndarray) -> tuple[int, list[tuple[Any, Any]] | None]:
        """(length, per-layer (K, V)) of the longest cached prefix of ``ids``."""
        best, best_kv, best_key = 0, None, None
        for key, (cached, kv) in self.entries.items():
            n = min(len(cached), len(ids))
            if n <= best:
                continue
            eq = cached[:n] == ids[:n]
            k = n if eq.all() else int(np.argmin(eq))
            if k > best:
                best, best_kv, best_key = k, kv, key
        if best_key is not None:
            self.entries.move_to_end(best_key)
        return best, best_kv

    def clear(self) -> None:
        """Forget every stored prefix (the hit and run counters stay)."""
        self.entries.clear()
        self.tokens = 0

    def put(self, ids: np.ndarray, kv: list[tuple[Any, Any]]) -> None:
        if self.max_tokens <= 0 or len(ids) > self.max_tokens:
            return
        for key, (cached, _) in list(self.entries.items()):  # a prefix of the new entry is redundant
            if len(cached) <= len(ids) and np.array_equal(cached, ids[:len(cached)]):
                self.tokens -= len(cached)
                del self.entries[key]
        self.entries[self._next] = (ids, kv)
        self._next += 1
        self.tokens += len(ids)
        while self.tokens > self.max_tokens and self.entries:
            _, (old, _) = self.entries.popitem(last=False)
            self.tokens -= len(old)


class TransformersModel(ChatModel):
    """A causal LM run in this process (torch), from a folder, a GGUF file or a bundled name."""

    provider = "transformers"

    def __init__(self, path: str | Path | None = None, *, model: str | None = None, device: str = "cpu",
                 dtype: str = "float32", batch_size: int = 16, threads: int | None = None,
                 kv_cache_tokens: int = 16384, batch_wait: float = 0.01, name: str | None = None,
                 **kwargs: Any) -> None:
        from interplay.llm.bundled import bundled_path

        self.source = model or (Path(path).expanduser().name if path is not None else None)
        self.path = bundled_path(path, model)
        super().__init__(name or model or self.path.name, **kwargs)
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - the extra is installed in dev
            raise InterplayError(f"transformers model: install the extra `interplay[local]` ({exc}).") from None
        self._torch = torch
        self.threads = int(threads) if threads is not None else default_threads()
        if self.threads < 1:
            raise InterplayError(f"transformers model: threads must be at least 1, got {threads}.")
        torch.set_num_threads(self.threads)
        dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtypes[dtype]).to(device)
        except (OSError, ValueError) as exc:
            raise InterplayError(f"transformers model {self.path}: cannot load ({exc}).") from None
        self.model.eval()
        # the decoder without its output layer, and the output layer: logits only where they are needed
        self._decoder = self.model.base_model
        self._head = self.model.get_output_embeddings()
        params = inspect.signature(self._decoder.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self.device = device
        self.batch_size = int(batch_size)
        self.batch_wait = float(batch_wait)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.stop_ids = self._stop_ids()
        self.prefixes = PrefixStore(kv_cache_tokens)
        self.batches = 0
        self.max_batch_seen = 0
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        return {"provider": "transformers", "model": self.source or self.path.name}

    def _stop_ids(self) -> set[int]:
        ids: set[int] = set()
        for v in (self.tokenizer.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)):
            if isinstance(v, int):
                ids.add(v)
            elif isinstance(v, list | tuple):
                ids.update(int(x) for x in v)
        for tok in ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"):
            tid = self.tokenizer.convert_tokens_to_ids(tok)
            if isinstance(tid, int) and tid != self.tokenizer.unk_token_id and tid >= 0:
                ids.add(tid)
        return ids

    # -- tokens --------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def option_token_ids(self, messages: list[dict[str, str]], option: str) -> tuple[list[int], list[int]]:
        """(prompt ids, option ids): the option's ids are those its continuation adds after the prompt."""
        prompt, cont = answer_continuation(self.tokenizer, messages, option)
        p = self.encode(prompt)
        full = self.encode(prompt + cont)
        if full[:len(p)] != p or len(full) == len(p):  # tokenization merged across the boundary
            return p, self.encode(cont)
        return p, full[len(p):]

    def choice_messages(self, messages: list[dict[str, str]], options: list[str]) -> list[dict[str, str]]:
        from interplay.llm.openai_backend import choice_instruction

        return [*messages, {"role": "user", "content": choice_instruction(options, json_format=False)}]

    # -- the worker ----------------------------------------------------------------
    def _submit(self, req: _Request) -> concurrent.futures.Future:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, name=f"interplay-{self.name}", daemon=True)
                self._worker.start()
        self._queue.put(req)
        return req.future

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.batch_size:  # gather until no request came for batch_wait seconds
                try:
                    batch.append(self._queue.get(timeout=self.batch_wait) if self.batch_wait > 0
                                 else self._queue.get_nowait())
                except queue.Empty:
                    break
            scoring = [r for r in batch if r.options is not None]
            writing = [r for r in batch if r.options is None]
            for group, fn in ((scoring, self._score_batch), (writing, self._generate_batch)):
                if not group:
                    continue
                try:
                    with self._torch.inference_mode():
                        results = fn(group)
                except BaseException as exc:  # handed to the callers
                    for r in group:
                        if not r.future.done():
                            r.future.set_exception(exc)
                    continue
                for r, out in zip(group, results):
                    r.future.set_result(out)

    def _run(self, req: _Request) -> Any:
        """Synchronous call through the worker (tests, benchmarks)."""
        return self._submit(req).result()

    async def _call(self, req: _Request) -> Any:
        return await asyncio.wrap_future(self._submit(req))

    # -- batched forward passes over the prefix store ------------------------------
    def _prefill(self, prompts: list[list[int]], branches: list[list[list[int]]] | None = None) -> _Pass:
        """Run each prompt from its longest cached prefix, and the branches that continue it, as one batch.

        ``branches[i]`` are token lists that each continue prompt ``i`` on their own: a
        branch token sees the whole prompt and the branch's earlier tokens, not the other
        branches (the tokens of a choice's options, scored in the same pass as the prompt).
        Only prompt tokens go into the prefix store. The layout of a row is
        [prefix block of width C][prompt suffix, branch 1, branch 2, ..., padding: width Q].
        """
        torch = self._torch
        B = len(prompts)
        branches = branches if branches is not None else [[] for _ in prompts]
        ids = [np.asarray(p, dtype=np.int64) for p in prompts]
        if B > 1:  # a prefix common to the batch but not yet stored is run once, not once a row
            common = _common_prefix(ids)
            if common >= _MIN_SHARED and self.prefixes.longest(ids[0][:common])[0] < common:
                self._prefill([prompts[0][:common]])
        hits = []
        for x in ids:
            k, kv = self.prefixes.longest(x)
            k = min(k, len(x) - 1)  # at least one token runs, to give the next-token state
            hits.append((k, kv))
        cs = [k for k, _ in hits]
        ss = [len(x) - k for x, (k, _) in zip(ids, hits)]
        widths = [s + sum(len(b) for b in br) for s, br in zip(ss, branches)]
        C, Q = max(cs), max(widths)
        kv_in = None
        if C > 0:
            sample = next(kv for k, kv in hits if kv is not None and k > 0)
            h, d = sample[0][0].shape[1], sample[0][0].shape[3]
            kv_in = []
            for layer in range(self.model.config.num_hidden_layers):
                K = torch.zeros((B, h, C, d), dtype=sample[0][0].dtype)
                V = torch.zeros((B, h, C, d), dtype=sample[0][0].dtype)
                for i, (k, kv) in enumerate(hits):
                    if k:
                        K[i, :, :k] = kv[layer][0][0, :, :k]
                        V[i, :, :k] = kv[layer][1][0, :, :k]
                kv_in.append((K, V))
        input_ids = torch.full((B, Q), int(self.tokenizer.pad_token_id), dtype=torch.long)
        positions = torch.zeros((B, Q), dtype=torch.long)
        seg = torch.full((B, Q), -1, dtype=torch.long)  # 0: prompt, j + 1: branch j, -1: padding
        starts: list[list[int]] = []
        for i, (x, k, s) in enumerate(zip(ids, cs, ss)):
            input_ids[i, :s] = torch.from_numpy(x[k:])
            positions[i, :s] = k + torch.arange(s)
            seg[i, :s] = 0
            col, row = s, []
            for j, b in enumerate(branches[i]):
                n = len(b)
                row.append(col)
                if n:
                    input_ids[i, col:col + n] = torch.tensor(b, dtype=torch.long)
                    positions[i, col:col + n] = k + s + torch.arange(n)
                    seg[i, col:col + n] = j + 1
                col += n
            starts.append(row)
        cols = torch.arange(Q)
        real = seg >= 0
        prefix_valid = torch.arange(C)[None, :] < torch.tensor(cs)[:, None]  # [B, C]
        # a query sees the real prefix slots, and the earlier (or same) columns of the prompt or of its own branch
        own = (seg[:, None, :] == 0) | (seg[:, None, :] == seg[:, :, None])
        inner = (cols[None, :] <= cols[:, None])[None] & own & real[:, None, :] & real[:, :, None]
        inner |= torch.eye(Q, dtype=torch.bool)[None]  # a pad query sees itself: no empty row
        allowed = torch.cat([prefix_valid[:, None, :] & real[:, :, None], inner], dim=2)
        hidden, kv_out = self._forward(input_ids, positions, allowed, kv_in)
        for i, (x, k, s) in enumerate(zip(ids, cs, ss)):
            self.prefixes.put(x, [(torch.cat([K[i:i + 1, :, :k], K[i:i + 1, :, C:C + s]], dim=2),
                                   torch.cat([V[i:i + 1, :, :k], V[i:i + 1, :, C:C + s]], dim=2))
                                  for K, V in kv_out])
            self.prefixes.hits_tokens += k
            self.prefixes.run_tokens += s
        self.batches += 1
        self.max_batch_seen = max(self.max_batch_seen, B)
        valid = torch.cat([prefix_valid, seg == 0], dim=1)  # the prompt's key slots, for decoding after it
        return _Pass(hidden=hidden, kv=kv_out, valid=valid, cs=cs, ss=ss, starts=starts)

    def _forward(self, input_ids: Any, positions: Any, allowed: Any,
                 kv_in: list[tuple[Any, Any]] | None) -> tuple[Any, list[tuple[Any, Any]]]:
        """One pass of the decoder over ``input_ids`` [B, S] after ``kv_in`` (key slots [B, K_in]);
        ``allowed`` [B, S, K_in + S] says which key slots each query attends to."""
        torch = self._torch
        from transformers import DynamicCache

        B, S = input_ids.shape
        dtype = next(self.model.parameters()).dtype
        mask = torch.zeros((B, 1, S, allowed.shape[2]), dtype=dtype)
        mask.masked_fill_(~allowed[:, None], torch.finfo(dtype).min)
        cache = DynamicCache(ddp_cache_data=kv_in) if kv_in is not None else DynamicCache()
        out = self._decoder(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                            position_ids=positions.to(self.device), use_cache=True, **{self._cache_kw: cache})
        kv_out = [(layer.keys, layer.values) for layer in cache.layers]
        return out.last_hidden_state, kv_out

    def _logprobs(self, hidden: Any) -> Any:
        return self._torch.log_softmax(self._head(hidden).float(), dim=-1)

    def _score_batch(self, reqs: list[_Request]) -> list[list[float]]:
        """Every option of every request in one pass: the option tokens but the last run as branches
        after the prompt; the output layer only where a next token is scored."""
        torch = self._torch
        branches = [[o[:-1] for o in r.options or []] for r in reqs]
        p = self._prefill([r.prompt for r in reqs], branches)
        rows, cols, targets, owners = [], [], [], []
        k = 0
        for i, r in enumerate(reqs):
            for j, o in enumerate(r.options or []):
                # token 0 is predicted at the prompt's last column, token t > 0 at the branch's column t - 1
                for t, tok in enumerate(o):
                    rows.append(i)
                    cols.append(p.ss[i] - 1 if t == 0 else p.starts[i][j] + t - 1)
                    targets.append(tok)
                    owners.append(k)
                k += 1
        lp = self._logprobs(p.hidden[torch.tensor(rows), torch.tensor(cols)])
        picked = lp[torch.arange(len(targets)), torch.tensor(targets)].double()
        sums = torch.zeros(k, dtype=torch.float64).index_add_(0, torch.tensor(owners), picked).tolist()
        out, k = [], 0
        for r in reqs:
            n = len(r.options or [])
            out.append(sums[k:k + n])
            k += n
        return out

    def _generate_batch(self, reqs: list[_Request]) -> list[tuple[list[int], str]]:
        torch = self._torch
        p = self._prefill([r.prompt for r in reqs])
        B = len(reqs)
        kv, valid, cs, ss = p.kv, p.valid, p.cs, p.ss
        last = p.hidden[torch.arange(B), torch.tensor(ss) - 1]
        gens = []
        for r in reqs:
            g = torch.Generator()
            g.manual_seed(int(r.seed) if r.seed is not None else int(np.random.SeedSequence().generate_state(1)[0]))
            gens.append(g)
        out: list[list[int]] = [[] for _ in reqs]
        finish = ["length"] * B
        live = [r.max_tokens > 0 for r in reqs]
        hidden = last
        step = 0
        while any(live):
            logits = self._head(hidden).float()
            nxt = []
            for i, r in enumerate(reqs):
                if not live[i]:
                    nxt.append(int(self.tokenizer.pad_token_id))
                    continue
                if r.temperature > 0:
                    probs = torch.softmax(logits[i] / r.temperature, dim=-1)
                    t = int(torch.multinomial(probs, 1, generator=gens[i]))
                else:
                    t = int(torch.argmax(logits[i]))
                if t in self.stop_ids:
                    live[i], finish[i] = False, "stop"
                else:
                    out[i].append(t)
                    if len(out[i]) >= r.max_tokens:
                        live[i] = False
                nxt.append(t)
            if not any(live):
                break
            ids = torch.tensor(nxt, dtype=torch.long)[:, None]
            positions = torch.tensor([c + s + step for c, s in zip(cs, ss)], dtype=torch.long)[:, None]
            valid = torch.cat([valid, torch.ones((B, 1), dtype=torch.bool)], dim=1)
            hidden, kv = self._forward(ids, positions, valid[:, None, :], kv)
            hidden = hidden[:, 0]
            step += 1
        return [(o, f) for o, f in zip(out, finish)]

    # -- the ChatModel calls ---------------------------------------------------------
    def score_options(self, messages: list[dict[str, str]], options: list[str]) -> list[float]:
        """Summed log-likelihood of each option's continuation after the chat (synchronous)."""
        seqs = [self.option_token_ids(messages, o) for o in options]
        return self._run(_Request(prompt=seqs[0][0], options=[o for _, o in seqs]))

    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        chat = self.choice_messages(messages, options)
        seqs = [self.option_token_ids(chat, o) for o in options]
        prompt = seqs[0][0]
        scores = await self._call(_Request(prompt=prompt, options=[o for _, o in seqs]))
        index = max(range(len(options)), key=lambda i: scores[i])
        completion = Completion(text=options[index], prompt_tokens=len(prompt), completion_tokens=0,
                                model=self.name, finish_reason="scored")
        return Choice(index=index, option=options[index], scores=tuple(scores), completion=completion)

    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        prompt = self.encode(render_chat(self.tokenizer, messages))
        limit = int(max_tokens) if max_tokens is not None else 128
        ids, finish = await self._call(_Request(prompt=prompt, max_tokens=limit, temperature=float(temperature),
                                                seed=seed))
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        for s in stop or []:
            cut = text.find(s)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        return Completion(text=text, prompt_tokens=len(prompt), completion_tokens=len(ids), model=self.name,
                          finish_reason=finish)
