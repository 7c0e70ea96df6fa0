/// The library CRM app servers link to take fenced locks from a Padlock cluster.
public enum PadlockClientModule {}
