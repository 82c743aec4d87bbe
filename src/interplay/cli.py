"""The `interplay` command. Thin: it parses arguments and calls the packages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from interplay.errors import InterplayError

app = typer.Typer(
    name="interplay",
    help="Interacting learning agents: games, strategies, learners, LLM agents, evaluation and safety.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (plain, no colours)."""
    from interplay.run.context import to_jsonable

    sys.stdout.write(json.dumps(to_jsonable(data), indent=1) + "\n")


# -- games ------------------------------------------------------------------------
@app.command("games")
def games_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the registered games: id, players, actions, utility kind."""
    from interplay.games.registry import list_games

    rows = []
    for entry in list_games():
        game = entry.make_example()
        spec = game.spec
        rows.append({
            "id": entry.id,
            "aliases": list(entry.aliases),
            "kind": entry.kind,
            "name": spec.name,
            "players": list(spec.players),
            "actions": [list(a) for a in spec.actions],
            "utility": spec.utility.value,
        })
    if as_json:
        print_json(rows)
        return
    table = Table(title="interplay games")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("actions (first player)")
    table.add_column("utility", no_wrap=True)
    table.add_column("aliases")
    for r in rows:
        acts = r["actions"][0]
        shown = "/".join(acts) if len(acts) <= 12 else "/".join(acts[:3]) + f"/... ({len(acts)} actions)"
        table.add_row(r["id"], r["kind"], str(len(r["players"])), shown, r["utility"],
                      ", ".join(r["aliases"]))
    console.print(table)


@app.command("analyze")
def analyze_cmd(
    game_id: str = typer.Argument(..., help="registry id, e.g. prisoners-dilemma-v1"),
    param: list[str] = typer.Option([], "--param", "-p", help="game parameter KEY=VALUE (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Equilibria (pure; mixed for 2 players), Pareto set, welfare and best responses of a game."""
    from interplay.games.analysis import analyze
    from interplay.games.iterated import IteratedGame
    from interplay.games.normal_form import NormalFormGame
    from interplay.games.registry import make
    from interplay.run.config import apply_overrides

    params = apply_overrides({}, list(param))
    game = make(game_id, **params)
    if isinstance(game, IteratedGame):
        game = game.stage
    if not isinstance(game, NormalFormGame):
        raise InterplayError(f"analyze: {game_id!r} is not a normal-form or iterated 2x2 game.")
    result = analyze(game).to_dict()
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{game.spec.name}[/] ({game_id}), {result['utility']}")
    t = Table(title="Pure Nash equilibria")
    t.add_column("actions")
    t.add_column("payoffs")
    for e in result["pure_nash"]:
        t.add_row(", ".join(e["actions"]), ", ".join(f"{x:g}" for x in e["payoffs"]))
    console.print(t if result["pure_nash"] else "No pure Nash equilibrium.")
    if result["mixed_nash"] is not None:
        t = Table(title="All Nash equilibria (nashpy)")
        t.add_column("row strategy")
        t.add_column("column strategy")
        t.add_column("payoffs")
        for e in result["mixed_nash"]:
            s1, s2 = e["strategies"]
            t.add_row(", ".join(f"{k}={v:.3g}" for k, v in s1.items()),
                      ", ".join(f"{k}={v:.3g}" for k, v in s2.items()),
                      ", ".join(f"{x:.3g}" for x in e["payoffs"]))
        console.print(t)
    t = Table(title="Pareto-efficient outcomes")
    t.add_column("actions")
    t.add_column("payoffs")
    t.add_column("welfare")
    for e in result["pareto_efficient"]:
        t.add_row(", ".join(e["actions"]), ", ".join(f"{x:g}" for x in e["payoffs"]), f"{e['welfare']:g}")
    console.print(t)
    console.print(f"Maximum social welfare {result['max_welfare']:g} at: {'; '.join(result['max_welfare_outcomes'])}")


# -- experiments ------------------------------------------------------------------
@app.command("run")
def run_cmd(
    config: Path = typer.Argument(..., help="experiment YAML"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run directory (default runs/NAME-TIME)"),
    set_: list[str] = typer.Option([], "--set", help="override a field: game.params.discount=0.9 (repeatable)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    check: bool = typer.Option(False, "--check", help="only validate the config (and its --set overrides); "
                               "exit 0 if it is valid, 2 naming each problem; nothing is run or written"),
    resume: bool = typer.Option(False, "--resume", help="continue the unfinished run in -o DIR from its "
                                "finished units"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the run already in -o DIR"),
) -> None:
    """Run an experiment and write its run directory (results.json, plots, report.html).

    Exit status: 0 completed (or degraded: more than 10% of model calls failed), 1 failed
    (every model call failed), 2 bad input; an interrupted run can be continued with --resume.
    """
    from interplay.run.runner import load_config, run_experiment

    cfg = load_config(config, set_, people=check)
    if check:
        console.print(f"[green]ok[/] {config}: a valid {cfg.kind} experiment", highlight=False)
        return
    before = _status_before(out) if resume else None
    try:
        run_dir = run_experiment(cfg, out, quiet=quiet, resume=resume, overwrite=overwrite)
    except KeyboardInterrupt:
        _interrupted(out)
    _finish_run(run_dir, done_before=before in ("completed", "degraded"))


@app.command("serve")
def serve_cmd(
    config: Path = typer.Argument(..., help="experiment YAML naming people (and an optional people: section)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run directory (default runs/NAME-TIME)"),
    set_: list[str] = typer.Option([], "--set", help="override a field of the experiment (repeatable)"),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="port (default: people.port, 8765)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    resume: bool = typer.Option(False, "--resume", help="continue the unfinished run in -o DIR"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace the run already in -o DIR"),
) -> None:
    """Run an experiment with its people at web pages: prints the experimenter's link, whose page
    gives each seat's one-time link; the run directory is the one `interplay run` writes."""
    from interplay.run.serve import serve_experiment

    def announce(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)
        sys.stdout.flush()

    try:
        run_dir, _ = serve_experiment(config, out, overrides=set_, port=port, quiet=quiet, resume=resume,
                                      overwrite=overwrite, announce=announce)
    except KeyboardInterrupt:
        _interrupted(out)
    _finish_run(run_dir)


def _status_before(run_dir: Path | None) -> str | None:
    from interplay.run.runner import read_status

    return read_status(run_dir).get("status") if run_dir is not None else None


def _interrupted(run_dir: Path | None) -> None:
    where = run_dir if run_dir is not None else "RUN_DIR"
    err_console.print(f"[bold yellow]interrupted:[/] the finished units are kept in {where}/results.json; continue "
                      f"with `interplay resume {where}`.", highlight=False, soft_wrap=True)
    raise typer.Exit(130)


@app.command("resume")
def resume_cmd(
    run_dir: Path = typer.Argument(..., help="the run directory of an interrupted run"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
) -> None:
    """Continue an interrupted run from its finished units, with the config saved in RUN_DIR."""
    from interplay.run.runner import load_config, run_experiment

    path = run_dir / "config.yaml"
    if not path.is_file():
        raise InterplayError(f"resume: {run_dir} holds no run (no config.yaml).")
    cfg = load_config(path)
    before = _status_before(run_dir)
    try:
        run_experiment(cfg, run_dir, quiet=quiet, resume=True)
    except KeyboardInterrupt:
        _interrupted(run_dir)
    _finish_run(run_dir, done_before=before in ("completed", "degraded"))


def _finish_run(run_dir: Path, *, done_before: bool = False) -> None:
    from interplay.run.runner import read_status

    meta = read_status(run_dir)
    status = meta.get("status", "?")
    units = meta.get("units") or {}
    if done_before:
        console.print(f"nothing to resume: the run in {run_dir} is {status}.")
    if status == "failed":
        err_console.print(f"[bold red]run failed:[/] {meta.get('error')}", highlight=False, soft_wrap=True)
        err_console.print(f"results: {run_dir / 'results.json'}")
        raise typer.Exit(1)
    colour = "green" if status == "completed" else "yellow"
    extra = f" ({units['done']} units, {units['resumed']} kept from before)" if units.get("resumed") else ""
    console.print(f"[{colour}]{status}[/]{extra} results: {run_dir / 'results.json'}", highlight=False)
    if status == "degraded":
        console.print(f"[yellow]degraded:[/] {meta.get('error')}", highlight=False, soft_wrap=True)
    if units.get("not_played"):
        console.print(f"not played: {len(units['not_played'])} units (listed in results.json meta.units)")
    console.print(f"report: {run_dir / 'report.html'}")
    try:
        acc = json.loads((run_dir / "results.json").read_text()).get("accounting") or {}
    except (OSError, ValueError):
        acc = {}
    if acc and all(isinstance(a, dict) and "answers" in a for a in acc.values()):
        _print_accounting(acc, "LLM answers: invalid, re-asks, fallbacks")
    print_warnings(run_dir)


def print_warnings(run_dir: Path) -> None:
    """Print the run's warnings (results.json ``warnings``: e.g. an agent whose moves were mostly its fallback's)."""
    try:
        warnings = json.loads((run_dir / "results.json").read_text()).get("warnings") or []
    except (OSError, ValueError):
        return
    for w in warnings:
        console.print(f"[bold yellow]warning:[/] {w}", highlight=False, soft_wrap=True)


# -- reproduce (published opponent-shaping results) --------------------------------
@app.command("reproduce")
def reproduce_cmd(
    name: str | None = typer.Argument(None, help="which result, e.g. lola-ipd (see --list)"),
    list_: bool = typer.Option(False, "--list", help="list the published results that can be re-run"),
    seeds: int | None = typer.Option(None, "--seeds", help="number of runs (default: the paper's)"),
    seed: int = typer.Option(0, "--seed", help="root random seed"),
    quick: bool = typer.Option(False, "--quick", help="shorter training where it applies (M-FOS, the coin game)"),
    as_json: bool = typer.Option(False, "--json", help="print the rows as JSON"),
) -> None:
    """Re-run a published result and compare it, row by row, with the paper's numbers."""
    from interplay.evaluate.reproduce import list_reproductions, reproduce

    if list_ or name is None:
        reps = list_reproductions()
        if as_json:
            print_json([{"name": r.name, "title": r.title, "source": r.source, "seeds": r.default_seeds}
                        for r in reps])
            return
        t = Table("name", "result", "source", "seeds")
        for r in reps:
            t.add_row(r.name, r.title, r.source, str(r.default_seeds))
        console.print(t)
        return
    rows = reproduce(name, seeds=seeds, seed=seed, quick=quick)
    if as_json:
        print_json([r.to_dict() for r in rows])
    else:
        t = Table("row", "published", "measured", "std", "within?", title=name)
        for r in rows:
            std = "" if r.std is None else f"{r.std:.3f}"
            t.add_row(r.name, r.expected, f"{r.measured:.3f}", std, "[green]yes[/]" if r.ok else "[red]NO[/]")
        console.print(t)
    if not all(r.ok for r in rows):
        raise typer.Exit(1)


# -- play (LLM agents, humans, strategies) ----------------------------------------
@app.command("play")
def play_cmd(
    game_id: str = typer.Argument(..., help="registered game id, e.g. ipd-v1"),
    agent: list[str] = typer.Option(..., "--agent", "-a", help="one per seat: llm:MODEL.yaml, human, random, "
                                    "learned:lola, a strategy name, or [p_start,p_CC,p_CD,p_DC,p_DD]"),
    rounds: int | None = typer.Option(None, "--rounds", "-r", min=1, max=1_000_000,
                                      help="turns (default: the game's horizon)"),
    param: list[str] = typer.Option([], "--param", "-p", help="game parameter: discount=0.9 (repeatable)"),
    talk: int = typer.Option(0, "--talk", min=0, max=100, help="cheap-talk rounds before each move"),
    private: bool = typer.Option(False, "--private", help="cheap talk in private pairs instead of public"),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="match seed (noise, random moves, sampling)"),
    cache: Path | None = typer.Option(None, "--cache", help="SQLite answer cache for the LLM agents"),
    as_json: bool = typer.Option(False, "--json", help="print the match record as JSON"),
) -> None:
    """Play one match between any agents, printing moves, messages and payoffs."""
    import asyncio

    import yaml

    from interplay.agents.factory import player_from_spec
    from interplay.agents.match import play_match
    from interplay.games.registry import make
    from interplay.serialize import load_yaml_text

    params = {}
    for item in param:
        if "=" not in item:
            raise InterplayError(f"--param {item!r}: expected NAME=VALUE, e.g. discount=0.9.")
        k, v = item.split("=", 1)
        try:
            params[k.strip()] = load_yaml_text(v)[0]
        except yaml.YAMLError as exc:
            raise InterplayError(f"--param {k.strip()}: not a YAML value ({getattr(exc, 'problem', None) or exc})."
                                 ) from None
    game = make(game_id, **params)
    models: dict[str, Any] = {}
    players = [player_from_spec(a, game, cache=cache, models=models) for a in agent]
    record = asyncio.run(play_match(game, players, seed=seed, rounds=rounds, talk_rounds=talk,
                                    talk_visibility="private" if private else "public"))
    stats = {p.name: p.stats.as_dict() for p in players if hasattr(p, "stats")}
    if as_json:
        from interplay.run.accounting import fallback_warnings, from_agent_stats

        acc = {n: from_agent_stats(s) for n, s in stats.items()}
        print_json({**record.to_dict(), "events": record.events, "llm_stats": stats, "accounting": acc,
                    "warnings": fallback_warnings(acc, {p.name: p.config.fallback for p in players
                                                        if hasattr(p, "stats")})})
    else:
        for e in record.events:
            if e["kind"] == "talk":
                to = "all" if e["visibility"] == "public" else ", ".join(e["to"])
                console.print(f"[cyan]r{e['round'] + 1}[/] [bold]{e['sender']}[/] -> {to}: {e['text']}",
                              highlight=False)
            elif e["kind"] == "move":
                note = " [yellow](fallback)[/]" if e.get("fallback") else ""
                console.print(f"[cyan]r{e['round'] + 1}[/] [bold]{e['sender']}[/] plays {e['action']}{note}",
                              highlight=False)
            else:
                console.print(f"[cyan]r{e['round'] + 1}[/] {e['text']}", highlight=False)
        totals = ", ".join(f"{n}: {t:g}" for n, t in zip(record.names, record.totals.tolist(), strict=True))
        console.print(f"[green]total payoffs[/] {totals} over {record.length} rounds", highlight=False)
        from interplay.run.accounting import fallback_warnings, fmt_rate, from_agent_stats

        for name, s in stats.items():
            console.print(f"{name}: {s['calls']} calls ({s['cached_calls']} cached), {s['total_tokens']} tokens; "
                          f"{s['answers']} answers, invalid {fmt_rate(s['invalid_answers'], s['answers'])}, "
                          f"{s['reasks']} re-asks; moves by fallback {fmt_rate(s['fallbacks'], s['moves'])}",
                          highlight=False, soft_wrap=True)
        fallbacks = {p.name: p.config.fallback for p in players if hasattr(p, "stats")}
        for w in fallback_warnings({n: from_agent_stats(s) for n, s in stats.items()}, fallbacks):
            console.print(f"[bold yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    if not record.complete:
        raise InterplayError(f"the match stopped after {record.length} rounds: {record.error}")


# -- debate (talk) -----------------------------------------------------------------
@app.command("debate")
def debate_cmd(
    task: str = typer.Option("arithmetic", "--task", help="arithmetic, reading, or a JSONL file of questions"),
    agents: int = typer.Option(3, "--agents", help="number of debating agents"),
    rounds: int = typer.Option(2, "--rounds", help="debate rounds after the independent answers"),
    model: Path | None = typer.Option(None, "--model", help="model YAML file (see docs/llm.md)"),
    simulate: bool = typer.Option(False, "--simulate", help="use the simulated model on a loopback server"),
    questions: int = typer.Option(20, "--questions", "-n", help="number of questions"),
    graph: str = typer.Option("all", "--graph", help="who reads whom: all, ring, none"),
    aggregate: str = typer.Option("majority", "--aggregate", help="majority or judge"),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1,
                                          help="token limit per answer (default 512); a cut answer is unparsed"),
    seed: int = typer.Option(0, "--seed"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run directory (default runs/debate-TIME)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Multi-agent debate with its controls: single agent, vote of N, vote of as many calls, debate."""
    from interplay.run.runner import load_config, run_experiment
    from interplay.run.talk import check_model_file, debate_table

    if (model is None) == (not simulate):
        raise InterplayError("debate: give --model MODEL.yaml, or --simulate for the simulated model.")
    if model is not None:
        check_model_file(model)
    data = {"kind": "debate", "name": "debate", "seed": seed, "task": task, "questions": questions,
            "debate": {"agents": agents, "rounds": rounds, "graph": graph, "aggregate": aggregate}}
    if max_tokens is not None:
        data["debate"]["max_tokens"] = max_tokens
    data.update({"model": str(model)} if model is not None else {"simulate": {}})
    cfg = load_config(data=data)
    run_dir = run_experiment(cfg, out, quiet=True)
    results = json.loads((run_dir / "results.json").read_text())
    summary = results["summary"]
    if as_json:
        print_json({**summary, "accounting": results.get("accounting", {}), "warnings": results.get("warnings", [])})
        return
    from interplay.run.talk import DEBATE_COLUMNS, _diff_text

    table = Table(title=f"debate: {agents} agents, {rounds} rounds, {summary['questions']} questions ({task})")
    for col in DEBATE_COLUMNS:
        table.add_column(col, justify="left" if col == "method" else "right",
                         no_wrap=col in ("method", "accuracy", "95% CI"))
    for row in debate_table(summary):
        table.add_row(*(str(x) for x in row))
    console.print(table)
    _print_accounting(results.get("accounting") or {}, "answers per agent (unparsed answers are never scored)")
    key = "debate_minus_vote_equal_calls" if "debate_minus_vote_equal_calls" in summary else "debate_minus_vote_n"
    console.print(f"debate - vote ({'same calls' if 'equal' in key else 'N samples'}), paired by question: "
                  f"{_diff_text(summary[key])}", highlight=False)
    console.print(f"report: {run_dir / 'report.html'}")
    print_warnings(run_dir)


def _print_accounting(acc: dict[str, Any], title: str) -> None:
    """The per-agent answers / invalid / re-asks / fallbacks table of a run (see interplay.run.accounting)."""
    from interplay.run.accounting import accounting_table

    if not acc:
        return
    caption = ("why invalid: length = cut off by the length limit, empty, echo = only restates the question, "
               "none = names no answer, invalid = names no legal option")
    table = Table(title=title, caption=caption)
    columns, rows = accounting_table(acc, short=True)
    if console.width < 140:  # too narrow for the table (or not a terminal: 80 columns): one line an agent
        console.print(title, highlight=False)
        for row in rows:
            cells = dict(zip(columns, row))
            console.print("  " + "; ".join(f"{k} {cells[k]}" for k in columns if k != "agent").join(
                [f"{cells['agent']}: ", ""]), highlight=False, soft_wrap=True)
        console.print("  " + caption, highlight=False, soft_wrap=True)
        return
    for col in columns:  # numbers never wrap
        table.add_column(col, justify="left" if col in ("agent", "why invalid") else "right",
                         no_wrap=col != "why invalid")
    for row in rows:
        table.add_row(*(str(x) for x in row))
    console.print(table)


# -- audit (safety) ----------------------------------------------------------------
audit_app = typer.Typer(help="Tamper-evident audit logs of runs (hash chains).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_cmd(
    run_dir: Path = typer.Argument(..., help="run directory (or its audit.jsonl)"),
    key_env: str | None = typer.Option(None, "--key-env", help="environment variable holding the HMAC key"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Check a run's audit log, its seal over results.json, metrics and transcripts, and its anchor in
    results.json; exit 0 if intact, 1 naming the first problem (or a keyed log given no key)."""
    from interplay.safety.audit import verify

    report = verify(run_dir, key_env=key_env)
    if as_json:
        print_json(report.to_dict())
    elif report.ok:
        console.print(f"[green]ok[/] {report.path}: {report.message}", highlight=False, soft_wrap=True)
        console.print(f"note: {report.limits}.", highlight=False, soft_wrap=True)
    elif report.problem == "keyed":
        console.print(f"[bold yellow]NOT CHECKED[/] {report.path}: {report.message}", highlight=False,
                      soft_wrap=True)
    else:
        console.print(f"[bold red]TAMPERED[/] {report.path}: {report.message}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command("redteam")
def redteam_cmd(
    scenarios: list[str] = typer.Argument(None, help="injection, extraction, collusion (default: all)"),
    rounds: int = typer.Option(6, "--rounds", "-r", min=1, help="rounds of each match"),
    model: Path | None = typer.Option(None, "--model", help="model YAML file playing every seat (adversaries get "
                                      "the attack goal); default: the built-in offline personas"),
    seed: int = typer.Option(0, "--seed", help="root seed"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Run the built-in red-team scenarios (offline personas, or a model); print what the monitors caught."""
    from interplay.run.accounting import fallback_warnings
    from interplay.run.redteam import REDTEAM_NOTE
    from interplay.safety.redteam import SCENARIOS, run_scenario, scenario

    names = scenarios or list(SCENARIOS)
    for name in names:
        scenario(name)  # an unknown name fails before any model is loaded
    loaded = None
    options: dict[str, Any] = {}
    if model is not None:
        from interplay.agents.llm_agent import load_agent_file
        from interplay.llm.config import load_model

        agent = load_agent_file(model)  # the file's `agent:` options apply to every seat
        options = agent.model_dump(exclude={"model"}, exclude_defaults=True)
        loaded = load_model(agent.model)
    out = {}
    for name in names:
        seats = scenario(name).personas
        models = None if loaded is None else {seat: loaded for seat in seats}
        out[name] = run_scenario(name, models, rounds=rounds, seed=seed,
                                 agent_options={seat: options for seat in seats} if options else None)[0]
    warnings = [w for name, summary in out.items() for cond, r in summary["conditions"].items()
                for w in fallback_warnings({f"{seat} ({name}, {cond})": a for seat, a in r["agents"].items()})]
    if as_json:
        print_json({**out, "warnings": warnings})
        return
    for name, summary in out.items():
        table = Table(title=f"red team: {name}", caption=summary["description"])
        for col in ("condition", "honest /round", "vs control", "honest by fallback", "adversary /round",
                    "adversary by fallback", "attacks /msgs", "flagged", "delivered", "blocked", "secret leaked",
                    "joint dev."):
            table.add_column(col, justify="left" if col == "condition" else "right", no_wrap=col == "condition")
        for cond, r in summary["conditions"].items():
            table.add_row(cond, f"{r['honest_payoff_per_round']:.3g}", f"{r.get('honest_payoff_change', 0):+.3g}",
                          f"{r['honest_fallback_moves']}/{r['honest_moves']}",
                          f"{r['adversary_payoff_per_round']:.3g}",
                          f"{r['adversary_fallback_moves']}/{r['adversary_moves']}",
                          f"{r['adversary_messages']}/{r['adversary_messages_total']}",
                          str(r["adversary_flagged"]), str(r["adversary_delivered"]), str(r["blocked"]),
                          "yes" if r["secret_leaked"] else "no", str(r["joint_deviations"]))
        console.print(table)
    console.print(REDTEAM_NOTE, highlight=False)
    for w in warnings:
        console.print(f"[bold yellow]warning:[/] {w}", highlight=False, soft_wrap=True)


# -- decide (mixtures of experts) ---------------------------------------------------
@app.command("decide")
def decide_cmd(
    config: Path = typer.Argument(..., help="a `kind: decide` experiment YAML"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run directory (default runs/NAME-TIME)"),
    set_: list[str] = typer.Option([], "--set", help="override a field: task.rounds=100 (repeatable)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
) -> None:
    """Aggregate advice: winners under each rule and advisors' Shapley values, or Hedge/EXP3/EXP4 over a task."""
    from interplay.run.runner import load_config, run_experiment

    cfg = load_config(config, set_)
    if cfg.kind != "decide":
        raise InterplayError(f"{config}: `interplay decide` runs `kind: decide` configs, this one is {cfg.kind!r} "
                             "(use `interplay run`).")
    run_dir = run_experiment(cfg, out, quiet=quiet)
    res = json.loads((run_dir / "results.json").read_text())
    if "winners" in res:
        maj = res["majority"]
        t = Table("rule", "winners", "axioms violated here", title="Winners under each rule")
        for rule, ws in res["winners"].items():
            t.add_row(rule, " = ".join(ws), ", ".join(res["axioms_violated"][rule]) or "-")
        console.print(t)
        if maj["condorcet_winner"] is not None:
            console.print(f"Condorcet winner: {maj['condorcet_winner']}")
        else:
            cycles = "; ".join(" > ".join([*c, c[0]]) for c in maj["cycles"][:3])
            console.print(f"No Condorcet winner; Smith set {', '.join(maj['smith_set'])}; cycle: {cycles}")
        if res.get("importance"):
            t = Table("advisor", "Shapley", "Banzhaf", "leave-one-out",
                      title=f"Importance for the quality of the {res['importance_rule']} decision")
            for name, v in res["importance"]["players"].items():
                t.add_row(name, f"{v['shapley']:+.3f}", f"{v['banzhaf']:+.3f}", f"{v['leave_one_out']:+.3f}")
            console.print(t)
    else:
        t = Table("learner", "expected loss", "best advisor", "regret", "bound", title=f"{res['task']}")
        for name, s in res["learners"].items():
            bound = "" if s["bound"] is None else f"{s['bound']:.1f}"
            t.add_row(name, f"{s['expected_loss']:.1f}", f"{s['best_advisor_loss']:.1f}", f"{s['regret']:.1f}", bound)
        console.print(t)
        t = Table("advisor", "loss if followed", "mean Shapley", "pivotal", title="Advisors")
        for name, v in res["importance"].items():
            t.add_row(name, f"{res['advisor_loss'][name]:.0f}", f"{v['shapley']:+.3f}", f"{v['pivotal_fraction']:.2f}")
        console.print(t)
    _print_accounting(res.get("accounting") or {}, "LLM advisors: answers, invalid, re-asks, fallbacks")
    if res.get("position_bias"):
        from interplay.run.accounting import fmt_rate, fmt_value

        t = Table("advisor", "n", "first pick shown first", "chance", "binomial p",
                  title="Position bias of LLM advisors")
        for name, b in res["position_bias"].items():
            t.add_row(name, str(b["n"]), fmt_rate(b["first_position"], b["n"]), fmt_value(b["chance"], b["n"]),
                      fmt_value(b["p_value"], b["n"]))
        console.print(t)
    console.print(f"[green]done[/] results: {run_dir / 'results.json'}")
    console.print(f"report: {run_dir / 'report.html'}")
    print_warnings(run_dir)


# -- strategies and tournaments (evaluate) ------------------------------------------
@app.command("strategies")
def strategies_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the strategy library: name, kind, memory depth, stochastic, origin."""
    from interplay.agents.strategies import strategies

    rows = [s.properties() for s in strategies()]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"interplay strategies ({len(rows)})")
    for col in ("name", "kind", "memory", "stochastic", "origin"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["kind"], str(r["memory_depth"]), "yes" if r["stochastic"] else "no", r["origin"])
    console.print(table)


@app.command("tournament")
def tournament_cmd(
    strategies: str = typer.Option("Tit For Tat,Defector,Cooperator,Grudger,Random: 0.5,Win-Stay Lose-Shift",
                                   "--strategies", "-s", help="comma-separated strategy names"),
    all_: bool = typer.Option(False, "--all", help="every strategy of the library"),
    turns: int = typer.Option(200, "--turns", min=1, max=1_000_000, help="turns per match"),
    repetitions: int = typer.Option(10, "--repetitions", "-r", min=1, max=100_000, help="matches per pair"),
    noise: float = typer.Option(0.0, "--noise", min=0.0, max=0.5, help="probability each action is flipped"),
    prob_end: float = typer.Option(0.0, "--prob-end", min=0.0, max=0.999,
                                   help="per-turn end probability (turns is then the cap)"),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Play a round-robin iterated prisoner's dilemma tournament and print the ranking."""
    from interplay.agents.strategies import check_names, names
    from interplay.evaluate.tournament import TournamentSettings, run_tournament

    players = names() if all_ else [n.strip() for n in strategies.split(",") if n.strip()]
    if not players:
        raise InterplayError("--strategies: no strategy names given (comma-separated, e.g. 'Tit For Tat,Defector').")
    check_names(players, "--strategies")
    settings = TournamentSettings(turns=turns, repetitions=repetitions, noise=noise, prob_end=prob_end, seed=seed)
    res = run_tournament(players, settings)
    if as_json:
        d = res.to_dict()
        print_json({k: d[k] for k in ("players", "payoff_matrix", "ranked_names", "scores", "cooperation",
                                      "normalised_scores", "wins", "metrics", "settings")})
        return
    table = Table(title=f"tournament: {len(players)} players, {turns} turns, {repetitions} repetitions")
    for col in ("rank", "strategy", "median score", "mean", "wins", "cooperation"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for r in res.summary():
        table.add_row(str(r["rank"]), r["name"], f"{r['median_score']:.3f}", f"{r['mean_score']:.3f}",
                      f"{r['median_wins']:g}", f"{r['cooperation_rating']:.2f}")
    console.print(table)


def _compilation_cache() -> None:
    """Keep JAX's compiled programs between runs of the command (unless the user chose a
    cache directory with JAX_COMPILATION_CACHE_DIR), so a repeated run skips compilation."""
    import os

    if "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    try:
        import jax

        jax.config.update("jax_compilation_cache_dir", os.path.join(base, "interplay", "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    except Exception:  # an unwritable home or an old JAX: run without the cache
        return


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become a one-paragraph message and exit status 2.

    Usage errors (unknown option, missing argument) also exit 2, from typer itself.
    """
    _compilation_cache()
    try:
        app(args=argv, prog_name="interplay")
    except InterplayError as exc:
        from interplay.safety.secrets import Redactor

        message = Redactor.from_env(["OPENAI_API_KEY"]).text(str(exc))  # a key echoed by a server: never shown
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("[bold yellow]interrupted:[/] finished units are kept in the run's results.json; "
                          "continue with `interplay resume RUN_DIR`.", highlight=False, soft_wrap=True)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
