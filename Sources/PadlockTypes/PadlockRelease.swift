/// The release every Padlock executable reports (`padlock --version`): the one place the version is written.
public enum PadlockRelease {
    /// The version, as semantic versioning writes it.
    public static let version = "0.18.0-dev"
}
