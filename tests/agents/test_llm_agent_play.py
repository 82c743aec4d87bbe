"""`interplay play`, the human player, and agent specs."""

import asyncio
import json

import pytest
from typer.testing import CliRunner

import interplay
from interplay.agents.factory import player_from_spec
from interplay.agents.fixed import MachinePlayer
from interplay.agents.human import HumanPlayer
from interplay.agents.match import play_match
from interplay.cli import app
from interplay.errors import InterplayError
from interplay.llm.testing import LoopbackServer, Reply


def scripted(lines):
    it = iter(lines)

    def ask(prompt):
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return ask


def test_human_moves_are_read_strictly_and_eof_stops_the_match():
    shown = []
    human = HumanPlayer("me", ask=scripted(["maybe", "2", "c", "Cooperate"]), tell=shown.append)
    game = interplay.make("ipd-v1", horizon=4)
    rec = asyncio.run(play_match(game, [human, MachinePlayer.memory_one("TFT", "Tit For Tat")]))
    # "maybe" is refused, then D (by number), C (any case), then "Cooperate" is not a move and input ends
    assert rec.actions == [(1, 0), (0, 1)] and not rec.complete and "no more input" in rec.error
    assert any("Not a move" in s for s in shown) and "Payoffs:" in shown[0]
    assert any("Round 1: you played D, TFT played C; you got 5" in s for s in shown)


class Fixed:
    """Plays a fixed sequence of moves."""

    def __init__(self, moves):
        self.name, self.moves = "fixed", moves

    async def act(self, view):
        return self.moves[view.round]


def moves_of(player, their, game):
    rec = asyncio.run(play_match(game, [player, Fixed(their)], rounds=len(their)))
    return [a for a, _ in rec.actions]


def test_player_specs_use_the_strategy_library():
    game = interplay.make("ipd-v1")
    their = [0, 1, 1, 0, 1]
    assert moves_of(player_from_spec("Tit For Tat", game), their, game) == [0, 0, 1, 1, 0]
    assert moves_of(player_from_spec("Grudger", game), their, game) == [0, 0, 1, 1, 1]
    assert moves_of(player_from_spec("[1, 0, 0, 0, 0]", game, name="x"), their, game) == [0, 1, 1, 1, 1]
    with pytest.raises(InterplayError, match="Tit For Tat"):
        player_from_spec("Tit for tatt", game)
    with pytest.raises(InterplayError, match="iterated 2x2 game"):
        player_from_spec("learned:lola", interplay.make("rps-v1"))
    lola_game = interplay.make("ipd-v1", convention="lola")
    lola = player_from_spec("learned:lola", lola_game)
    # LOLA in self-play on the IPD reaches a tit-for-tat-like policy (Foerster et al. 2018)
    assert moves_of(lola, their, lola_game) == [0, 0, 1, 1, 0]


def test_cli_play_llm_against_strategy(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAY_TEST_KEY", "sk-play-secret-123")
    runner = CliRunner()
    with LoopbackServer(default=lambda req: "Let us cooperate." if "message" in req.last_user else "ACTION: D") as s:
        (tmp_path / "model.yaml").write_text(
            f"provider: openai\nbase_url: {s.base_url}\nmodel: loopback\napi_key_env: PLAY_TEST_KEY\n"
            "backoff_base: 0.01\nagent:\n  max_reasks: 1\n")
        res = runner.invoke(app, ["play", "ipd-v1", "--agent", f"llm:{tmp_path / 'model.yaml'}", "--agent",
                                  "Tit For Tat", "--rounds", "2", "--talk", "1", "--cache",
                                  str(tmp_path / "c.sqlite")])
        assert res.exit_code == 0, res.output
        assert "loopback plays D" in res.output and "Tit For Tat plays C" in res.output
        assert "loopback -> all: Let us cooperate." in res.output
        assert "total payoffs loopback: 6, Tit For Tat: 1 over 2 rounds" in res.output
        assert s.calls == 4
        again = runner.invoke(app, ["play", "ipd-v1", "-a", f"llm:{tmp_path / 'model.yaml'}", "-a", "Tit For Tat",
                                    "-r", "2", "--talk", "1", "--cache", str(tmp_path / "c.sqlite"), "--json"])
        assert again.exit_code == 0 and s.calls == 4  # all from the cache
        data = json.loads(again.stdout)
        assert data["totals"] == [6.0, 1.0] and data["llm_stats"]["loopback"]["cached_calls"] == 4
    assert "sk-play-secret-123" not in res.output + again.output
    assert all(b"sk-play-secret-123" not in f.read_bytes() for f in tmp_path.iterdir())


def test_cli_play_errors_exit_2(tmp_path):
    from interplay.cli import main

    with pytest.raises(SystemExit) as info:
        main(["play", "ipd-v1", "-a", "Tit For Tat", "-a", "Nobody Strategy"])
    assert info.value.code == 2
    with LoopbackServer(default=Reply.error(500)) as s:
        (tmp_path / "m.yaml").write_text(f"base_url: {s.base_url}\nmodel: m\napi_key_env: null\nmax_retries: 0\n")
        with pytest.raises(SystemExit) as info:
            main(["play", "ipd-v1", "-a", f"llm:{tmp_path / 'm.yaml'}", "-a", "Defector", "-r", "2"])
    assert info.value.code == 2
