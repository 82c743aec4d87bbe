"""The bundled SmolLM2-135M-Instruct through the local transformers backend (no network, no key)."""

import asyncio

import pytest
import torch

from interplay.errors import InterplayError
from interplay.llm import load_model
from interplay.llm.bundled import bundled_gguf, bundled_path

IPD = [{"role": "system", "content": "You play the iterated prisoner's dilemma. Your actions: C, D."},
       {"role": "user", "content": "History of play:\nRound 1: you played C, Tit For Tat played C.\n"
                                   "Round 2. Reply with your action only: one of C, D."}]


@pytest.fixture(scope="module")
def smol(bundled_model_dir):
    return load_model({"provider": "transformers", "model": "smollm2-135m", "threads": 1})


def _direct(model, prompt_ids, cont_ids):
    """Log-likelihood of cont after prompt from one plain forward pass of the whole sequence."""
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([prompt_ids + cont_ids])).logits[0].float(), -1)
    return sum(float(logp[len(prompt_ids) + k - 1, t]) for k, t in enumerate(cont_ids))


def test_bundled_name_and_gguf_file_resolve_to_one_plain_folder(bundled_model_dir):
    assert bundled_path(name="smollm2-135m") == bundled_model_dir
    assert bundled_path(path=bundled_gguf("smollm2-135m")) == bundled_model_dir
    assert (bundled_model_dir / "model.safetensors").is_file() and (bundled_model_dir / "tokenizer.json").is_file()
    with pytest.raises(InterplayError, match="smollm2-135m"):
        bundled_path(name="smollm3")
    with pytest.raises(InterplayError, match="exactly one of 'path'"):
        load_model({"provider": "transformers"})
    with pytest.raises(InterplayError, match="no GGUF file"):
        load_model({"provider": "transformers", "path": "/nonexistent/model.gguf"})


def test_options_are_scored_as_the_template_continues_the_assistant_turn(smol):
    chat = smol.choice_messages(IPD, ["C", "D"])
    prompt, c = smol.option_token_ids(chat, "C")
    # the template writes "<|im_start|>assistant\n" then the answer, then <|im_end|>: no leading space
    assert smol.tokenizer.convert_ids_to_tokens(c) == ["C", "<|im_end|>"]
    assert smol.tokenizer.decode(prompt).endswith("<|im_start|>assistant\n")
    choice = smol.choose(IPD, ["C", "D"])
    direct = [_direct(smol.model, *smol.option_token_ids(chat, o)) for o in ["C", "D"]]
    assert choice.scores == pytest.approx(direct, abs=1e-3)
    # the old way (a space before the option) is far less likely: the model does not answer like that
    spaced = _direct(smol.model, prompt, smol.encode(" C"))
    assert spaced < _direct(smol.model, prompt, smol.encode("C")) - 2.0


def test_batched_and_prefix_cached_scores_equal_one_at_a_time(smol):
    options = ["C", "D", "Cooperate"]  # a multi-token option, a prefix of another
    chats = [[IPD[0], {"role": "user", "content": IPD[1]["content"].replace("Round 2", f"Round {k}")}]
             for k in range(2, 8)]
    alone = [smol.score_options(smol.choice_messages(c, options), options) for c in chats]
    direct = [[_direct(smol.model, *smol.option_token_ids(smol.choice_messages(c, options), o)) for o in options]
              for c in chats]

    async def together():
        return await asyncio.gather(*(smol.achoose(c, options) for c in chats))

    batches = smol.batches
    many = asyncio.run(together())
    assert smol.batches - batches < len(chats)  # concurrent requests shared forward passes
    assert smol.prefixes.hits_tokens > 0
    for a, d, m in zip(alone, direct, many):
        assert a == pytest.approx(d, abs=1e-3) and list(m.scores) == pytest.approx(d, abs=1e-3)


def test_greedy_generation_equals_transformers_generate(smol):
    c = smol.generate(IPD, max_tokens=12)
    enc = smol.tokenizer(smol.tokenizer.apply_chat_template(IPD, tokenize=False, add_generation_prompt=True),
                         return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        ref = smol.model.generate(**enc, max_new_tokens=12, do_sample=False)
    new = ref[0, enc["input_ids"].shape[1]:]
    assert c.text == smol.tokenizer.decode(new, skip_special_tokens=True)
    assert c.completion_tokens == len([t for t in new.tolist() if t not in smol.stop_ids])
    assert c.finish_reason == ("stop" if int(new[-1]) in smol.stop_ids else "length")
    a = smol.generate(IPD, temperature=1.0, max_tokens=8, seed=3)
    b = smol.generate(IPD, temperature=1.0, max_tokens=8, seed=3)
    assert a.text == b.text and a.completion_tokens <= 8


def test_first_use_of_a_gguf_file_says_what_it_builds_and_later_uses_are_silent(tmp_path, monkeypatch, capfd):
    """The one-time build announces itself and its stages on stderr; a built folder is reused without a word."""
    from interplay.llm import bundled

    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF not really")
    built = []

    def fake_build(src, out, *, quiet):  # the conversion itself is tested above on the bundled file
        bundled._stage("[1/3] reading the tokenizer from the GGUF file")
        (out / "config.json").write_text("{}")
        built.append(src)

    monkeypatch.setenv("INTERPLAY_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(bundled, "_build", fake_build)
    folder = bundled.plain_folder(gguf)
    err = capfd.readouterr()
    assert "first use of tiny.gguf" in err.err and "[1/3]" in err.err and f"built {folder.name}" in err.err
    assert err.out == ""  # stdout stays the command's own output
    assert bundled.plain_folder(gguf) == folder and len(built) == 1
    assert capfd.readouterr().err == ""
