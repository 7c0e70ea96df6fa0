/// The node shell: composes Raft, the lock table and a log store.
public enum NodeModule {}
