"""People at the terminal: the one place where interplay reads what a person types.

:class:`Terminal` is a person's line input and text output: a prompt shown, a line read
(in a worker thread when awaited, so concurrent matches keep running), the end of input
turned into a clear error, and a bad answer told and asked again, never guessed. Every
role a person can take reads through it: a player here, an advisor
(:class:`interplay.decide.advisors.Human`), a negotiator
(:class:`interplay.agents.negotiators.HumanNegotiator`), a debate judge
(:class:`interplay.talk.judged.TerminalJudge`).

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
from typing import IO, TypeVar

from interplay.agents.prompts import history_text, horizon_text, messages_text, payoff_table
from interplay.agents.protocol import Decision, View
from interplay.errors import InterplayError
from interplay.llm.base import InvalidAnswer
from interplay.llm.parsing import parse_choice

T = TypeVar("T")


class Terminal:
    """A person's line input and text output.

    Args:
        who: how errors name the person (``"advisor 'pat'"``, ``"human"``).
        ask: reads one line given a prompt (default ``input``); ``EOFError`` ends the input.
        tell: shows text (default ``print``).
        eof: the error message when the input ends (after ``who: ``).
    """

    def __init__(self, who: str, *, ask: Callable[[str], str] = input, tell: Callable[[str], object] = print,
                 eof: str = "no more input (end of file).") -> None:
        self.who = who
        self.ask = ask
        self.tell = tell
        self.eof = eof

    @classmethod
    def from_streams(cls, who: str, stdin: IO[str], stdout: IO[str], **kw: str) -> Terminal:
        """A terminal over text streams (a prompt is written without a newline, as ``input`` does)."""

        def ask(prompt: str) -> str:
            stdout.write(prompt)
            stdout.flush()
            line = stdin.readline()
            if not line:
                raise EOFError
            return line

        return cls(who, ask=ask, tell=lambda text: stdout.write(text + "\n"), **kw)

    def read(self, prompt: str) -> str:
        """One line, stripped; the end of input raises :class:`InterplayError`."""
        try:
            return self.ask(prompt).strip()
        except (EOFError, StopIteration):
            # StopIteration: a scripted ``ask`` whose lines ran out (raised into an asyncio Future
            # from a worker thread it would hang the event loop instead of ending the input)
            raise InterplayError(f"{self.who}: {self.eof}") from None

    async def aread(self, prompt: str) -> str:
        """:meth:`read` in a worker thread (the event loop goes on meanwhile)."""
        return await asyncio.to_thread(self.read, prompt)

    async def achoose(self, prompt: str, parse: Callable[[str], T], *, tries: int,
                      complaint: Callable[[ValueError], str], exhausted: Callable[[str], Exception]) -> T:
        """Ask until ``parse`` accepts a line (it raises ``ValueError`` on a bad one, which is
        told back as ``complaint(error)``); after ``tries`` bad lines raise ``exhausted(last line)``."""
        text = ""
        for _ in range(tries):
            text = await self.aread(prompt)
            try:
                return parse(text)
            except ValueError as exc:
                self.tell(complaint(exc))
        raise exhausted(text)

    def choose(self, prompt: str, parse: Callable[[str], T], *, tries: int,
               complaint: Callable[[ValueError], str], exhausted: Callable[[str], Exception]) -> T:
        """:meth:`achoose` without an event loop (reads in this thread)."""
        text = ""
        for _ in range(tries):
            text = self.read(prompt)
            try:
                return parse(text)
            except ValueError as exc:
                self.tell(complaint(exc))
        raise exhausted(text)


class HumanPlayer:
    """A person choosing moves by typing them.

    Args:
        name: display name.
        ask: reads one line given a prompt (default ``input``); EOF ends the match.
        tell: shows text (default ``print``).
        max_tries: bad answers before giving up on the match.
    """

    #: a person: its matches' transcripts are kept like an LLM agent's
    person = True

    def __init__(self, name: str = "human", *, ask: Callable[[str], str] = input,
                 tell: Callable[[str], None] = print, max_tries: int = 20) -> None:
        self.name = name
        self.terminal = Terminal(name, ask=ask, tell=tell, eof="no more input (end of file); the match stops here.")
        self.max_tries = max_tries
        self._introduced: set[tuple[int, int]] = set()

    def _intro(self, view: View) -> None:
        key = (view.seed, view.seat)
        if key in self._introduced:
            return
        self._introduced.add(key)
        spec = view.spec
        self.terminal.tell(f"== {spec.name} ({spec.id}) ==\n{spec.description}\nYou are {view.me}; playing against "
                           f"{', '.join(view.others)}.\nPayoffs:\n{payoff_table(view)}\n{horizon_text(view)}")

    async def act(self, view: View) -> Decision:
        self._intro(view)
        if view.history:
            self.terminal.tell(history_text(view, 1))
        if view.messages:
            self.terminal.tell(messages_text(view, limit=5))
        legal = list(view.legal)
        choices = ", ".join(f"{i + 1}={a}" for i, a in enumerate(legal))

        def move(text: str) -> Decision:
            if text.isdigit() and 1 <= int(text) <= len(legal):
                return Decision(action=int(text) - 1, text=text)
            try:
                return Decision(action=parse_choice(text, legal), text=text)
            except InvalidAnswer as exc:
                raise ValueError(exc.reason) from None

        return await self.terminal.achoose(
            f"Round {view.round + 1}, your move ({choices}): ", move, tries=self.max_tries,
            complaint=lambda exc: f"Not a move: {exc}.",
            exhausted=lambda _: InterplayError(f"{self.name}: no valid move after {self.max_tries} tries."))

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None:
        self._intro(view)
        return await self.terminal.aread(f"Message to {', '.join(to)} (empty for none): ") or None
