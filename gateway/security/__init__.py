"""Who may ask what: authentication, the gate before parsing, per-client quotas."""
