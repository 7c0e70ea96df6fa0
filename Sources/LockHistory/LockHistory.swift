/// Histories of lock operations and the checkers that judge them (linearizability against the lock model).
public enum LockHistory {}
