import Glibc
import Logging
import Synchronization
import Testing
import AuthGateCore
@testable import AuthGateApp
import AuthGateTestSupport

/// The JSON log format: every record is exactly one line that parses as a
/// JSON object, whatever its message and metadata hold.
@Suite struct JSONLogLineTests {
    static let noon = timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789)

    func render(_ message: String, _ metadata: Logger.Metadata = [:], level: Logger.Level = .info) -> [UInt8] {
        JSONLogLine.render(timestamp: Self.noon, level: level, label: "authgate", message: message, metadata: metadata)
    }

    /// The line without its newline, parsed back.
    func parsed(_ line: [UInt8]) throws -> [String: JSONValue] {
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1, "one record, one line")
        guard case .object(let members) = try JSONParser.parse(Array(line.dropLast())) else {
            Issue.record("not an object")
            return [:]
        }
        return members
    }

    @Test func fixedFieldsComeFirstInOrder() throws {
        let line = String(decoding: render("listening", ["address": "unix:/run/authgate/authgate.sock"]), as: UTF8.self)
        #expect(
            line
                == #"{"ts":"2023-11-14T22:13:20.123Z","level":"info","logger":"authgate","msg":"listening","address":"unix:/run/authgate/authgate.sock"}"#
                + "\n")
    }

    @Test(arguments: [
        "quote \" and backslash \\",
        "two\nlines\r\nand a tab\t",
        "control \u{0}\u{1}\u{1F} and DEL \u{7F}",
        "unicode: Grüße, 日本, 🙂, \u{2028}",
        #"{"injected":"field"}"#
    ])
    func messagesAndValuesSurviveEscaping(_ text: String) throws {
        let members = try parsed(render(text, ["value": .string(text), text: "as a key"]))
        #expect(members["msg"] == .string(text))
        #expect(members["value"] == .string(text))
        #expect(members[text] == .string("as a key"))
    }

    /// JSON allows U+2028, U+2029 and the C1 controls raw, but Python's
    /// `splitlines` (and other line-based readers) split on them: a log
    /// line must hold them escaped. Answers keep writing them raw.
    @Test(arguments: ["\u{85}", "\u{2028}", "\u{2029}", "\u{80}", "\u{9F}", "\u{7F}"])
    func lineBreakersOutsideASCIIAreEscapedInLogLines(_ breaker: String) throws {
        let text = "user" + breaker + "{\"forged\":1}"
        let line = render(text, ["username": .string(text), text: "key"])
        let body = String(decoding: line.dropLast(), as: UTF8.self)
        #expect(!body.unicodeScalars.contains { $0 == breaker.unicodeScalars.first! }, "\(body.debugDescription)")
        let hex = String(breaker.unicodeScalars.first!.value, radix: 16)
        let escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        #expect(body.contains(escape), "\(body)")
        let members = try parsed(line)
        #expect(
            members["msg"] == .string(text) && members["username"] == .string(text) && members[text] == .string("key"))
        var answer: [UInt8] = []
        JSONWriter.writeString(text, into: &answer)
        #expect(String(decoding: answer, as: UTF8.self) == "\"user" + breaker + #"{\"forged\":1}"# + "\"")
    }

    @Test func metadataIsSortedAndCannotShadowTheFixedFields() throws {
        let line = render("real message", ["zeta": "z", "alpha": "a", "msg": "fake", "level": "fake"])
        let members = try parsed(line)
        #expect(members["msg"] == .string("real message"))
        #expect(members["level"] == .string("info"))
        #expect(members["metadata.msg"] == .string("fake"))
        #expect(members["metadata.level"] == .string("fake"))
        let text = String(decoding: line, as: UTF8.self)
        let alpha = try #require(text.firstRange(of: "\"alpha\""))
        let zeta = try #require(text.firstRange(of: "\"zeta\""))
        #expect(alpha.lowerBound < zeta.lowerBound)
    }

    @Test func numbersBooleansAndNestedValuesKeepTheirType() throws {
        let members = try parsed(
            render(
                "request",
                [
                    "status": .stringConvertible(401), "duration_ms": .stringConvertible(0.25),
                    "ok": .stringConvertible(false), "interpolated": "\(7)",
                    "infinite": .stringConvertible(Double.infinity),
                    "nested": .dictionary(["b": "2", "a": .array(["x", .stringConvertible(1)])])
                ]))
        #expect(members["status"] == .number(401))
        #expect(members["duration_ms"] == .number(0.25))
        #expect(members["ok"] == .bool(false))
        #expect(members["interpolated"] == .string("7"))
        #expect(members["infinite"] == .string("inf"))
        #expect(members["nested"] == .object(["a": .array([.string("x"), .number(1)]), "b": .string("2")]))
    }

    @Test func timestampIsUTCWithMilliseconds() {
        var out: [UInt8] = []
        LogTimestamp.append(timespec(tv_sec: 0, tv_nsec: 999_999_999), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1970-01-01T00:00:00.999Z")
    }

    @Test func theHandlerMergesMetadataAndWritesOneLinePerRecord() throws {
        let lines = Mutex<[[UInt8]]>([])
        var logger = Logger(label: "authgate.test") { label in
            LineLogHandler(label: label, output: { line, _ in lines.withLock { $0.append(line) } })
        }
        logger.logLevel = .info
        logger[metadataKey: "worker"] = "3"
        logger.debug("below the level")
        logger.info("first\nsecond", metadata: ["request.id": "abc", "worker": "4"])
        logger.warning("third")
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        let first = try parsed(written[0])
        #expect(first["msg"] == .string("first\nsecond"))
        #expect(first["logger"] == .string("authgate.test"))
        #expect(first["request.id"] == .string("abc"))
        #expect(first["worker"] == .string("4"), "the call's metadata wins over the logger's")
        let second = try parsed(written[1])
        #expect(second["level"] == .string("warning"))
        #expect(second["worker"] == .string("3"))
    }

    @Test func logFormatIsReadFromTheConfiguration() throws {
        func load(_ value: String?) throws -> Config {
            var env = ["FLASK_SECRET_KEY": "k"]
            env["AUTHGATE_LOG_FORMAT"] = value
            return try Config.load(environment: env, dotEnv: [:], workingDirectory: "/srv")
        }
        #expect(try load(nil).logFormat == .json)
        #expect(try load("text").logFormat == .text)
        #expect(try load(" JSON ").logFormat == .json)
        #expect { try load("xml") } throws: { ($0 as? ConfigError)?.variable == "AUTHGATE_LOG_FORMAT" }
    }
}
