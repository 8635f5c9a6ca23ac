"""The general audit trail: who did what to which object, when, from where and through which channel, for
every mutating API call and CLI command (`Store.audit_trail`; the alarm audit `Store.audit` is separate)."""
