"""Safety: shields on actions, monitors on messages, constraint costs, audit log."""
