"""Language between agents: channels with visibility and monitors, multi-agent debate,
judged debate and consultancy, persuasion, their tasks and their metrics (docs/debate.md)."""

from interplay.talk.channel import Channel, Flag, Message, graph_neighbours
from interplay.talk.debate import DebateSettings, debate_question, run_debates
from interplay.talk.judged import JudgedSettings, TerminalJudge, run_judged
from interplay.talk.persuasion import PersuasionSettings, run_persuasion
from interplay.talk.tasks import Question, arithmetic_questions, extract_answer, load_questions, shipped_questions

__all__ = [
    "Channel",
    "DebateSettings",
    "Flag",
    "JudgedSettings",
    "Message",
    "PersuasionSettings",
    "Question",
    "TerminalJudge",
    "arithmetic_questions",
    "debate_question",
    "extract_answer",
    "graph_neighbours",
    "load_questions",
    "run_debates",
    "run_judged",
    "run_persuasion",
    "shipped_questions",
]
