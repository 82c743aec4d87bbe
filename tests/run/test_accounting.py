"""Honest accounting where an LLM is scored: an agent whose every answer is invalid is reported
as playing its fallback (rate 1.0), with a warning in results.json, the terminal and the report."""

import json

import pytest
import yaml

from interplay.cli import main
from interplay.llm.testing import LoopbackServer, tit_for_tat_answer
from interplay.run.accounting import (
    agent_accounting,
    fallback_warnings,
    fmt_interval,
    fmt_rate,
    fmt_value,
)


def test_formatting_never_shows_a_bare_nan_or_none():
    assert fmt_rate(0, 0) == "n/a (n=0)"
    assert fmt_rate(3, 4) == "0.750 (3/4)"
    assert fmt_value(float("nan"), n=1) == "n/a (n=1)"
    assert fmt_value(None, why="no parsed answer") == "n/a (no parsed answer)"
    assert fmt_interval(float("nan"), float("nan"), n=1) == "n/a (n=1)"
    assert fmt_interval(0.1, 0.25) == "[0.10, 0.25]"


def test_fallback_warning_threshold_is_strictly_above_ten_percent():
    acc = {"a": agent_accounting(answers=10, invalid=1, decisions=10, fallbacks=1),
           "b": agent_accounting(answers=10, invalid=2, decisions=10, fallbacks=2),
           "c": agent_accounting(answers=0, invalid=0)}
    w = fallback_warnings(acc, {"b": "Tit For Tat"})
    assert len(w) == 1 and w[0].startswith("b: 2 of 10 decisions (20%) were made by its fallback (Tit For Tat)")


def _run(tmp_path, capsys, server, name, llm_options):
    cfg = {"kind": "llm-tournament", "name": name, "seed": 0,
           "game": {"id": "ipd-v1", "params": {"horizon": 3}}, "cache": None, "self_play": False,
           "agents": {"LLM": {"llm": {"model": server.model_config(backoff_base=0.01, timeout=5.0),
                                      **llm_options}},
                      "Tit For Tat": "Tit For Tat", "Defector": "Defector"}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = tmp_path / name
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "-o", str(out), "-q"])
    assert info.value.code in (0, None)
    return out, json.loads((out / "results.json").read_text()), capsys.readouterr().out


def test_all_invalid_llm_agent_is_its_fallback_and_is_flagged_everywhere(tmp_path, capsys):
    # every answer names no legal action: 2 opponents x 3 rounds = 6 moves, each 1 answer + 1 re-ask
    with LoopbackServer(default="I would rather not say.") as server:
        out, res, terminal = _run(tmp_path, capsys, server, "bad", {"max_reasks": 1, "fallback": "Tit For Tat"})
        assert server.calls == 12
    acc = res["accounting"]["LLM"]
    assert acc == {**acc, "answers": 12, "invalid": 12, "invalid_rate": 1.0, "reasks": 6, "decisions": 6,
                   "fallbacks": 6, "fallback_rate": 1.0}
    assert res["llm"]["LLM"]["fallback_rate"] == 1.0
    assert len(res["warnings"]) == 1 and res["warnings"][0].startswith(
        "LLM: 6 of 6 decisions (100%) were made by its fallback (Tit For Tat)")
    assert "warning:" in terminal and "LLM: 6 of 6 decisions (100%)" in terminal
    assert "LLM answers: invalid, re-asks, fallbacks" in terminal and "1.000 (6/6)" in terminal
    report = (out / "report.html").read_text()
    assert "class='warning'" in report and "LLM: 6 of 6 decisions (100%)" in report
    ranking = report[report.index("Ranking (mean payoff"):]
    assert "1.000 (6/6) WARNING" in ranking[:ranking.index("</table>")]
    # the transcript viewer marks every fallback move
    assert report.count("FALLBACK move") == 6
    # its fallback, Tit For Tat, is what played: cooperation with TFT, exploited once by the defector
    i = {n: k for k, n in enumerate(res["players"])}
    M = res["payoff_matrix"]
    assert M[i["LLM"]][i["Tit For Tat"]] == 3.0 and M[i["LLM"]][i["Defector"]] == pytest.approx(2 / 3)


def test_a_well_behaved_agent_has_no_warning(tmp_path, capsys):
    with LoopbackServer(default=tit_for_tat_answer) as server:
        out, res, terminal = _run(tmp_path, capsys, server, "good", {"max_reasks": 1})
    assert res["warnings"] == [] and "warning:" not in terminal
    assert res["accounting"]["LLM"]["fallback_rate"] == 0.0 and res["accounting"]["LLM"]["invalid"] == 0
    assert "FALLBACK move" not in (out / "report.html").read_text()


def test_play_prints_answers_invalid_rate_reasks_and_the_fallback_warning(tmp_path):
    from typer.testing import CliRunner

    from interplay.cli import app

    with LoopbackServer(default="Hmm.") as s:
        (tmp_path / "model.yaml").write_text(
            f"provider: openai\nbase_url: {s.base_url}\nmodel: loopback\napi_key_env: null\n"
            "backoff_base: 0.01\nagent:\n  max_reasks: 1\n  fallback: Tit For Tat\n")
        res = CliRunner().invoke(app, ["play", "ipd-v1", "-a", f"llm:{tmp_path / 'model.yaml'}", "-a", "Defector",
                                       "-r", "2"])
        js = CliRunner().invoke(app, ["play", "ipd-v1", "-a", f"llm:{tmp_path / 'model.yaml'}", "-a", "Defector",
                                      "-r", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert "4 answers, invalid 1.000 (4/4), 2 re-asks; moves by fallback 1.000 (2/2)" in res.output
    assert "warning: loopback: 2 of 2 decisions (100%) were made by its fallback (Tit For Tat)" in res.output
    data = json.loads(js.stdout)
    assert data["accounting"]["loopback"]["fallback_rate"] == 1.0 and len(data["warnings"]) == 1


def test_a_resumed_tournament_keeps_the_accounting_of_the_matches_it_did_not_replay(tmp_path, capsys):
    with LoopbackServer(default="I would rather not say.") as server:
        out, first, _ = _run(tmp_path, capsys, server, "bad", {"max_reasks": 1, "fallback": "Tit For Tat"})
        calls = server.calls
        # as if the run had been interrupted after all matches but the LLM's match with the defector
        res = json.loads((out / "results.json").read_text())
        lost = [k for k, u in res["units"].items() if set(u["names"]) == {"LLM", "Defector"}]
        assert len(lost) == 1
        del res["units"][lost[0]]
        res["meta"]["status"] = "interrupted"
        (out / "results.json").write_text(json.dumps(res))
        journal = [x for x in (out / "units.jsonl").read_text().splitlines() if json.loads(x)["unit"] != lost[0]]
        (out / "units.jsonl").write_text("".join(x + "\n" for x in journal))
        with pytest.raises(SystemExit) as info:
            main(["run", str(tmp_path / "bad.yaml"), "-o", str(out), "-q", "--resume"])
        assert info.value.code in (0, None) and server.calls == calls + 6  # only that match was replayed
    again = json.loads((out / "results.json").read_text())
    keys = ("answers", "invalid", "invalid_rate", "reasks", "decisions", "fallbacks", "fallback_rate")
    assert {k: again["accounting"]["LLM"][k] for k in keys} == {k: first["accounting"]["LLM"][k] for k in keys}
    assert again["accounting"]["LLM"]["resumed_moves"] == 3  # counted from the saved match record
    assert again["warnings"] == first["warnings"]
