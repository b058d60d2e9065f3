/// AuthGate's release, the one place it is written (`authgate --version`).
public enum Version {
    public static let current = "1.0.0"
}
