import Glibc

/// UTC timestamps as `YYYY-MM-DD HH:MM:SS.ffffff`, the text both databases
/// store and sort (SQLAlchemy writes SQLite datetimes the same way).
public enum Timestamp {
    public static func format(_ seconds: Double) -> String {
        let clamped = min(max(seconds, 0), 253_402_300_799)  // year 9999
        var whole = time_t(clamped.rounded(.down))
        let micros = Int((clamped - Double(whole)) * 1_000_000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2)) "
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(micros, 6))"
    }
}
