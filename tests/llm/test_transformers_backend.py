"""The transformers backend on a tiny random GPT-2 built and saved inside the test (no downloads)."""

import asyncio

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from interplay.llm import load_model

SENTENCES = ["you cooperate and i cooperate", "you defect and i defect", "user: choose stag or hare",
             "assistant: stag", "reply with the option only", "choose exactly one of the options",
             "cooperate defect stag hare C D"]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-gpt2")
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(SENTENCES * 5, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]", "[EOS]"],
                                                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", eos_token="[EOS]", pad_token="[EOS]")
    fast.save_pretrained(path)
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=fast.vocab_size, n_positions=256, n_embd=32, n_layer=2, n_head=2,
                     eos_token_id=fast.eos_token_id, bos_token_id=fast.eos_token_id)
    GPT2LMHeadModel(cfg).save_pretrained(path)
    return path


def _direct_loglik(model, tokenizer, prompt, option):
    """Log-likelihood of the option after the prompt, one sequence at a time, no padding."""
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full = tokenizer(prompt + " " + option, add_special_tokens=False)["input_ids"]
    o = full[len(p):]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([full])).logits[0], -1)
    return sum(float(logp[len(p) + k - 1, t]) for k, t in enumerate(o))


def test_option_scores_equal_direct_log_likelihoods(tiny_model_dir):
    model = load_model({"provider": "transformers", "path": str(tiny_model_dir), "batch_size": 2})
    options = ["stag", "hare", "cooperate and defect"]  # 3 options, batch 2: padding and two batches
    messages = [{"role": "user", "content": "choose stag or hare"}]
    choice = model.choose(messages, options)
    from interplay.llm.openai_backend import choice_instruction
    from interplay.llm.transformers_backend import render_chat

    chat = [*messages, {"role": "user", "content": choice_instruction(options, json_format=False)}]
    prompt = render_chat(model.tokenizer, chat)
    reference = GPT2LMHeadModel.from_pretrained(tiny_model_dir).eval()
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    direct = [_direct_loglik(reference, tok, prompt, o) for o in options]
    assert choice.scores == pytest.approx(direct, abs=1e-4)
    assert choice.index == max(range(3), key=lambda i: direct[i]) and choice.option == options[choice.index]
    assert all(s < 0 for s in choice.scores)
    assert len(model.option_token_ids(chat, "cooperate and defect")[1]) > 1


def test_generate_is_seeded_and_respects_max_tokens(tiny_model_dir):
    model = load_model({"provider": "transformers", "path": str(tiny_model_dir)})
    msgs = [{"role": "user", "content": "you cooperate"}]
    greedy = [model.generate(msgs, max_tokens=6).text for _ in range(2)]
    assert greedy[0] == greedy[1]
    a = model.generate(msgs, temperature=1.0, max_tokens=6, seed=7)
    b = model.generate(msgs, temperature=1.0, max_tokens=6, seed=7)
    assert a.text == b.text and a.completion_tokens <= 6 and a.prompt_tokens > 0


def test_concurrent_choices_of_any_length_in_one_pass_equal_direct_log_likelihoods(tiny_model_dir):
    """Options of 1 to 5 tokens (sharing first tokens) scored as branches after prompts of different lengths,
    all requests gathered into one batch: each score equals the plain one-sequence log-likelihood."""
    from interplay.llm.transformers_backend import render_chat

    model = load_model({"provider": "transformers", "path": str(tiny_model_dir), "batch_wait": 1.0})
    reference = GPT2LMHeadModel.from_pretrained(tiny_model_dir).eval()
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    asks = [([{"role": "user", "content": "you cooperate and i cooperate " * k + "choose stag or hare"}],
             ["stag", "stag hare", "cooperate and defect", "D"][: 2 + k % 3]) for k in range(5)]

    async def together():
        return await asyncio.gather(*(model.achoose(m, o) for m, o in asks))

    batches = model.batches
    choices = asyncio.run(together())
    assert model.batches - batches <= 2  # one batch (and at most one pass for their common prefix first)
    for (messages, options), choice in zip(asks, choices):
        prompt = render_chat(model.tokenizer, model.choice_messages(messages, options))
        direct = [_direct_loglik(reference, tok, prompt, o) for o in options]
        assert list(choice.scores) == pytest.approx(direct, abs=1e-4)


def test_next_round_runs_only_its_new_tokens(tiny_model_dir):
    """A prompt that extends one already run (the next round of a match) runs only the tokens after the
    longest stored prefix, and scores as if run whole."""
    from interplay.llm.transformers_backend import render_chat

    model = load_model({"provider": "transformers", "path": str(tiny_model_dir)})
    reference = GPT2LMHeadModel.from_pretrained(tiny_model_dir).eval()
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    history = "you cooperate and i cooperate\n"
    prompts = []
    for t in range(1, 4):
        messages = [{"role": "system", "content": "choose stag or hare"}, {"role": "user", "content": history * t}]
        before = model.prefixes.run_tokens
        choice = model.choose(messages, ["stag", "hare"])
        ids = model.encode(render_chat(model.tokenizer, model.choice_messages(messages, ["stag", "hare"])))
        if prompts:
            old = prompts[-1]
            shared = next((i for i, (a, b) in enumerate(zip(old, ids)) if a != b), min(len(old), len(ids)))
            assert model.prefixes.run_tokens - before == len(ids) - shared
        prompts.append(ids)
        text = render_chat(model.tokenizer, model.choice_messages(messages, ["stag", "hare"]))
        assert list(choice.scores) == pytest.approx([_direct_loglik(reference, tok, text, o) for o in ["stag", "hare"]],
                                                    abs=1e-4)
