"""Field work over the store: terminal status, unregistered MNs, binding, commissioning commands."""
