"""A human player at the terminal: plays any per-turn match against any agent.

:class:`HumanPlayer` shows the game (rules and payoffs once, then the last
round's outcome and any messages it can read) and asks for a move; an answer is
read with the same strict parser as model answers (an action name, any case, or
its number), and a bad answer is asked again, never guessed. With cheap talk on,
it also asks for a message (empty: say nothing). Input and output are injectable
(``ask``, ``tell``) so the player is testable and usable from other front ends;
the terminal is read in a worker thread so concurrent matches keep running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from interplay.agents.interactive import Decision, View
from interplay.agents.llm_agent import history_text, horizon_text, messages_text, payoff_table
from interplay.errors import InterplayError
from interplay.llm.base import InvalidAnswer
from interplay.llm.parsing import parse_choice


class HumanPlayer:
    """A person choosing moves by typing them.

    Args:
        name: display name.
        ask: reads one line given a prompt (default ``input``); EOF ends the match.
        tell: shows text (default ``print``).
        max_tries: bad answers before giving up on the match.
    """

    def __init__(self, name: str = "human", *, ask: Callable[[str], str] = input,
                 tell: Callable[[str], None] = print, max_tries: int = 20) -> None:
        self.name = name
        self.ask = ask
        self.tell = tell
        self.max_tries = max_tries
        self._introduced: set[tuple[int, int]] = set()

    def _intro(self, view: View) -> None:
        key = (view.seed, view.seat)
        if key in self._introduced:
            return
        self._introduced.add(key)
        spec = view.spec
        self.tell(f"== {spec.name} ({spec.id}) ==\n{spec.description}\nYou are {view.me}; playing against "
                  f"{', '.join(view.others)}.\nPayoffs:\n{payoff_table(view)}\n{horizon_text(view)}")

    def _read(self, prompt: str) -> str:
        try:
            return self.ask(prompt)
        except EOFError:
            raise InterplayError(f"{self.name}: no more input (end of file); the match stops here.") from None

    async def act(self, view: View) -> Decision:
        self._intro(view)
        if view.history:
            self.tell(history_text(view, 1))
        if view.messages:
            self.tell(messages_text(view, limit=5))
        legal = list(view.legal)
        choices = ", ".join(f"{i + 1}={a}" for i, a in enumerate(legal))
        for _ in range(self.max_tries):
            text = (await asyncio.to_thread(self._read, f"Round {view.round + 1}, your move ({choices}): ")).strip()
            if text.isdigit() and 1 <= int(text) <= len(legal):
                return Decision(action=int(text) - 1, text=text)
            try:
                return Decision(action=parse_choice(text, legal), text=text)
            except InvalidAnswer as exc:
                self.tell(f"Not a move: {exc.reason}.")
        raise InterplayError(f"{self.name}: no valid move after {self.max_tries} tries.")

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None:
        self._intro(view)
        text = await asyncio.to_thread(self._read, f"Message to {', '.join(to)} (empty for none): ")
        return text.strip() or None
