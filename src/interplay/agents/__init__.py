"""Who plays: fixed strategies as data, learners, LLM agents and humans."""
