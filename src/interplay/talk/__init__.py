"""Language between agents: channels with visibility, cheap talk, debate, persuasion."""
