"""The transformers backend on a tiny random GPT-2 built and saved inside the test (no downloads)."""

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
