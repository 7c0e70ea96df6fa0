/// Reading padlockd configuration files (a TOML subset) into checked settings.
public enum PadlockConfigModule {}
