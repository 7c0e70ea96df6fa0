/// The peer wire: the byte encoding of Raft's messages between nodes (message kinds 16 and up).
public enum PeerWire {}
