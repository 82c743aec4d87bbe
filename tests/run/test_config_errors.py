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
