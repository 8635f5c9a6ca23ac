"""Events: SOE records from terminals and platform-observed events."""
