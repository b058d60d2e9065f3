/// A fuzz input read as one FastCGI request: its FCGI_PARAMS content, then
/// its body. The params are name-value pairs in FastCGI's own encoding
/// (each length one byte below 128, else four bytes, high bit set), up to
/// a pair with an empty name and value (`00 00`) or the end of the input;
/// what follows that pair is the body (FCGI_STDIN).
struct FCGIParams {
    /// "NAME=VALUE" as libfcgi keeps each param (`envp`).
    private(set) var environment: [[UInt8]] = []
    private(set) var body: [UInt8] = []

    init(_ input: [UInt8]) {
        var i = 0
        func length() -> Int? {
            guard i < input.count else { return nil }
            if input[i] < 0x80 {
                i += 1
                return Int(input[i - 1])
            }
            guard i + 4 <= input.count else { return nil }
            let n = Int(input[i] & 0x7F) << 24 | Int(input[i + 1]) << 16 | Int(input[i + 2]) << 8 | Int(input[i + 3])
            i += 4
            return n
        }
        while let nameLength = length(), let valueLength = length() {
            if nameLength == 0 && valueLength == 0 {
                body = Array(input[i...])
                return
            }
            guard nameLength <= input.count - i, valueLength <= input.count - i - nameLength else { return }
            environment.append(
                Array(input[i..<(i + nameLength)]) + [UInt8(ascii: "=")]
                    + Array(input[(i + nameLength)..<(i + nameLength + valueLength)]))
            i += nameLength + valueLength
        }
    }

    /// `FCGX_GetParam` exactly: the first entry whose C string starts with
    /// `name` followed by `=`; the value ends at its first NUL, and becomes
    /// a `String` as `String(cString:)` makes it (bad UTF-8 repaired).
    func param(_ name: String) -> String? {
        let key = Array(name.utf8)
        for entry in environment {
            let cString = entry.prefix { $0 != 0 }
            guard cString.count > key.count, cString.starts(with: key),
                cString[key.count] == UInt8(ascii: "=")
            else { continue }
            return String(decoding: cString[(key.count + 1)...], as: UTF8.self)
        }
        return nil
    }
}
