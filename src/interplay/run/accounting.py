"""The LLM answer accounting of the experiment kinds: :mod:`interplay.accounting`, re-exported.

The counting and formatting helpers live in the leaf module :mod:`interplay.accounting`, so the
lower layers (safety, talk, decide) use them without importing ``run``; the kinds and the CLI
keep importing them from here.
"""

from interplay.accounting import (
    COLUMNS,
    FALLBACK_WARNING,
    UNPARSED_REASONS,
    accounting_rows,
    accounting_table,
    add_accounting,
    add_warnings,
    agent_accounting,
    fallback_cell,
    fallback_warnings,
    fmt_interval,
    fmt_rate,
    fmt_value,
    from_agent_stats,
    from_counts,
    is_missing,
    rate,
    stats_counts,
    stats_delta,
    stats_total,
    warning_html,
    why_invalid,
)

__all__ = [
    "COLUMNS", "FALLBACK_WARNING", "UNPARSED_REASONS", "accounting_rows", "accounting_table", "add_accounting",
    "add_warnings", "agent_accounting", "fallback_cell", "fallback_warnings", "fmt_interval", "fmt_rate", "fmt_value",
    "from_agent_stats", "from_counts", "is_missing", "rate", "stats_counts", "stats_delta", "stats_total",
    "warning_html", "why_invalid",
]
