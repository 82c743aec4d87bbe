"""Config and CLI-argument errors: file:line, "did you mean", every misspelt name, exit 2."""

from pathlib import Path

import pytest

from interplay.cli import main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code


def write(tmp_path, text, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(capsys, *args):
    code = cli(*args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, " ".join(err.split())


def test_misspelt_fields_get_file_line_and_did_you_mean(tmp_path, capsys):
    cfg = write(tmp_path, "kind: tournament\nname: t\nturnz: 20\nanalysis:\n  alpah: 3\n")
    code, err = error_of(capsys, "run", str(cfg), "--check")
    assert code == 2
    assert f"{cfg}:3: turnz: unknown field; did you mean 'turns'?" in err
    assert f"{cfg}:5: analysis.alpah: unknown field; did you mean 'alpha'?" in err


def test_missing_kind_is_named(tmp_path, capsys):
    cfg = write(tmp_path, "name: x\nturns: 3\n")
    code, err = error_of(capsys, "run", str(cfg), "--check")
    assert code == 2 and f"{cfg}:2: turns: unknown field" in err and "no `kind:` given" in err


def test_every_misspelt_strategy_is_reported(tmp_path, capsys):
    cfg = write(tmp_path, "kind: tournament\nstrategies: [Tit For Tatt, Defecter, Cooperator, Grudgr]\n")
    code, err = error_of(capsys, "run", str(cfg), "--check")
    assert code == 2 and f"{cfg}:2: strategies" in err and "3 unknown strategy(s)" in err
    for bad, good in (("Tit For Tatt", "Tit For Tat"), ("Defecter", "Defector"), ("Grudgr", "Grudger")):
        assert f"'{bad}' (Did you mean '{good}'" in err
    code, err = error_of(capsys, "tournament", "-s", "Tit For Tatt,Defecter,Grudger")
    assert code == 2 and "2 unknown strategy(s)" in err and "'Defecter' (Did you mean 'Defector'" in err


def test_empty_config_and_folder_are_errors(tmp_path, capsys):
    cfg = write(tmp_path, "# nothing here\n")
    code, err = error_of(capsys, "run", str(cfg))
    assert code == 2 and "is empty" in err
    code, err = error_of(capsys, "run", str(ROOT / "examples"))
    assert code == 2 and "is a directory, not a file" in err


def test_yaml_bomb_through_the_cli(tmp_path, capsys):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    cfg = write(tmp_path, "kind: tournament\n" + "\n".join(lines) + "\n")
    code, err = error_of(capsys, "run", str(cfg))
    assert code == 2 and "aliases expand" in err and "lol" not in err


@pytest.mark.parametrize("args,needle", [
    (["play", "ipd-v1", "-a", "Defector", "-a", "Cooperator", "--rounds", "-3"], "--rounds"),
    (["play", "ipd-v1", "-a", "Defector", "-a", "Cooperator", "--talk", "-1"], "--talk"),
    (["tournament", "--turns", "0"], "--turns"),
    (["tournament", "--repetitions", "-2"], "--repetitions"),
    (["tournament", "--noise", "1.5"], "--noise"),
    (["tournament", "--prob-end", "1"], "--prob-end"),
    (["tournament", "-s", " , "], "no strategy names"),
])
def test_bad_cli_arguments_exit_2(capsys, args, needle):
    code, err = error_of(capsys, *args)
    assert code == 2 and needle in err


def test_check_validates_without_running(tmp_path, capsys):
    out = tmp_path / "never"
    assert cli("run", str(ROOT / "examples" / "tournament.yaml"), "--check", "-o", str(out)) == 0
    assert "a valid tournament experiment" in capsys.readouterr().out
    assert not out.exists()
    code, err = error_of(capsys, "run", str(ROOT / "examples" / "tournament.yaml"), "--check", "--set", "turns=2.5")
    assert code == 2 and "turns" in err and "fractional part" in err


EX = ROOT / "examples"


@pytest.mark.parametrize("example,override,needles", [
    ("lola-ipd.yaml", "game.params.horizon=2.5", ["horizon must be a whole number", "got 2.5 (not truncated)"]),
    ("lola-ipd.yaml", "game.params.horizon=1.0e300", ["horizon must be a whole number"]),
    ("lola-ipd.yaml", "game.params.discount=.nan", ["game.params", "discount", "must be finite"]),
    ("tournament.yaml", "payoffs.S=1.0e12", ["payoffs.S", "less than or equal to 1000000"]),
    ("tournament.yaml", "payoffs.T=1000", ["alpha-Rank", "would overflow"]),
    ("tournament.yaml", "payoffs.S=-10", ["Moran fitness", "positive"]),
    ("tournament.yaml", "turns=2.5", ["turns", "fractional part"]),
    ("tournament.yaml", "noise=.inf", ["noise", "finite number"]),
    ("decide-council.yaml", "advisors.3.weight=1.0e300", ["advisors.3.weight", "less than or equal to 1000000"]),
    ("decide-hedge.yaml", "advisors.0.accuracy.0.1=.nan", ["advisors.0.accuracy.0.1", "finite number"]),
    ("decide-hedge.yaml", "advisors.0.accuracy=[[1]]", ["advisors.0.accuracy", "schedule entry 0"]),
    ("lola-dice-coin.yaml", "rollout_length=9223372036854775808", ["rollout_length", "less than or equal"]),
    ("lola-dice-coin.yaml", "pairings.0.learners.0.lr=.inf", ["pairings.0.learners", "must be finite"]),
    ("redteam-extraction.yaml", "rounds=true", ["rounds: expected a number, got true"]),
    ("lola-ipd.yaml", "seed=9223372036854775808", ["seed", "too large"]),
    ("llm-mixed-population.yaml", "agents.LLM.llm.model.backoff_base=.inf", ["backoff_base", "finite"]),
    ("llm-mixed-population.yaml", "agents.LLM.llm.model.backoff_max=1.0e300",
     ["backoff_max", "less than or equal to 3600"]),
    ("llm-mixed-population.yaml", "agents.LLM.llm.model.model=1.5", ["agents.LLM.llm.model", "valid string"]),
    ("llm-mixed-population.yaml", "agents.TFT=Tit For Tatt", ["agents (strategy names)", "'Tit For Tatt'"]),
])
def test_senseless_values_are_refused_before_any_numerics(capsys, example, override, needles):
    code, err = error_of(capsys, "run", str(EX / example), "--check", "--set", override)
    assert code == 2, err
    assert str(EX / example) in err
    for needle in needles:
        assert needle in err, (needle, err)


def test_model_file_refuses_inf(tmp_path):
    from interplay.errors import InterplayError
    from interplay.llm.config import read_model_file

    path = write(tmp_path, "provider: openai\nmodel: m\nbase_url: http://127.0.0.1:9/v1\nbackoff_base: .inf\n",
                 name="m.yaml")
    with pytest.raises(InterplayError, match="backoff_base: Input should be a finite number"):
        read_model_file(path)


def test_overrides_and_params_use_the_safe_reader(capsys):
    deep = "[" * 3000 + "]" * 3000
    code, err = error_of(capsys, "play", "ipd-v1", "-a", "Defector", "-a", "Cooperator", "-p", f"horizon={deep}")
    assert code == 2 and "nested more than 50 levels deep" in err
    code, err = error_of(capsys, "play", "ipd-v1", "-a", "Defector", "-a", "Cooperator", "-p", "horizon=2.5")
    assert code == 2 and "not truncated" in err
    code, err = error_of(capsys, "run", str(EX / "tournament.yaml"), "--check", "--set", f"turns={deep}")
    assert code == 2 and "turns" in err and deep not in err  # the given value is shown cut short
