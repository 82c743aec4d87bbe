"""The public API: the short list in interplay.__all__ and interplay.evaluate.__all__."""

import subprocess
import sys

import numpy as np
import pytest

import interplay
import interplay.evaluate


@pytest.mark.parametrize("module", [interplay, interplay.evaluate], ids=["interplay", "interplay.evaluate"])
def test_every_name_in_all_imports(module):
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None and not isinstance(value, type(sys)), name  # a function or class, not a module
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_from_import_of_the_short_list():
    from interplay import TournamentSettings, list_games, make, register, run_tournament, strategy, train  # noqa: F401
    from interplay.evaluate import alpharank, elo, reproduce  # noqa: F401

    assert callable(alpharank) and callable(reproduce)  # the functions, not their modules of the same name


def test_import_interplay_loads_no_numerical_library():
    code = "import sys, interplay; print(sorted(m for m in ('numpy', 'jax', 'pydantic', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_train_is_the_learners_own_training_after_the_pairing_check():
    from interplay.agents.learners import LOLA, NaiveLearner, TrainSettings

    game = interplay.make("ipd-v1", convention="lola", discount=0.96)
    run = interplay.train(game, "lola", "nl", seeds=3, updates=5, seed=7)
    direct = LOLA().train(game, NaiveLearner(), TrainSettings(seeds=3, updates=5, seed=7))
    np.testing.assert_array_equal(run.final_policies(), direct.final_policies())
    assert run.final_policies().shape[0] == 3  # one row a seed
    with pytest.raises(interplay.InterplayError, match=r"train: unknown setting\(s\) \['epochs'\]"):
        interplay.train(game, "lola", epochs=3)
    with pytest.raises(interplay.InterplayError, match="Unknown learner 'lolla'"):
        interplay.train(game, "lolla")


def test_the_readme_api_snippet_runs():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    snippet = next(b for b in blocks if "interplay.train(" in b)
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)  # noqa: S102 - the documented example, as a user runs it
    assert scope["result"].ranked_names == ["Grudger", "Tit For Tat", "Defector", "Random: 0.5"]  # as the README says
    assert scope["run"].final_policies().shape == (4, 2, 5)
