"""Re-create decide-council-llm.jsonl: the council run against a scripted model.

The scripted model is the loopback OpenAI-compatible server of interplay.llm.testing,
answering each constrained choice with the first remaining option in the taste of the
advisor named in the system prompt (the tastes below follow the personas of
examples/decide-council.yaml). It is a stand-in for an LLM, so the example runs offline;
point the advisors' `model:` at a real server to ask a real model.

    .venv/bin/python examples/data/record_decide_council.py
"""

import shutil
import tempfile
from pathlib import Path

import yaml

from interplay.llm.testing import LoopbackServer, Reply
from interplay.run.runner import load_config, run_experiment

HERE = Path(__file__).parent
TASTES = {
    "Ada": ["new benchmark", "robustness evals", "user study", "scaling run"],
    "Bo": ["new benchmark", "scaling run", "robustness evals", "user study"],
    "Cy": ["robustness evals", "user study", "scaling run", "new benchmark"],
}


def answer(req):
    who = next(n for n in TASTES if f"You are {n}," in req.messages[0]["content"])
    options = req.options or [o for o in TASTES[who] if o in req.last_user]
    return Reply.choice(next(o for o in TASTES[who] if o in options))


def main() -> None:
    data = yaml.safe_load((HERE.parent / "decide-council.yaml").read_text())
    with LoopbackServer(default=answer) as server, tempfile.TemporaryDirectory() as tmp:
        for adv in data["advisors"]:
            if adv["type"] == "llm":
                adv["model"] = server.model_config(name="scripted-council")
        run_dir = run_experiment(load_config(data=data), Path(tmp) / "run", quiet=True)
        shutil.copy(run_dir / "llm-calls.jsonl", HERE / "decide-council-llm.jsonl")
    print(f"wrote {HERE / 'decide-council-llm.jsonl'} ({server.calls} calls)")


if __name__ == "__main__":
    main()
