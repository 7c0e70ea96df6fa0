/// The deterministic simulator that runs the real node under network, disk, clock and process faults.
public enum SimulationModule {}
