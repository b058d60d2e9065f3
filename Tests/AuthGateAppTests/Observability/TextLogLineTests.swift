import Glibc
import Logging
import Synchronization
import Testing
import AuthGateCore
@testable import AuthGateApp
import AuthGateTestSupport

/// The text log format (`AUTHGATE_LOG_FORMAT=text`): whatever a client
/// puts in a value (a username), a record stays one line whose fields
/// are the record's own, and no terminal control passes through.
@Suite struct TextLogLineTests {
    static let noon = timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789)

    func render(_ message: String, _ metadata: Logger.Metadata = [:], label: String = "authgate.audit") -> String {
        String(
            decoding: TextLogLine.render(
                timestamp: Self.noon, level: .notice, label: label, message: message,
                metadata: metadata), as: UTF8.self)
    }

    /// Every character that some tool takes for a line break.
    static let lineBreakers = [
        "\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"
    ]

    @Test func layoutIsTimestampLevelLoggerMessageThenSortedFields() {
        #expect(
            render("audit", ["username": "bob", "event": "login.failure", "status": .stringConvertible(400)])
                == "2023-11-14T22:13:20.123Z notice authgate.audit: audit event=login.failure status=400 username=bob\n"
        )
    }

    @Test func aForgedLineInAUsernameStaysInsideItsField() {
        let forged = "x\n2023-11-14T22:13:21.000Z critical authgate: [FORGED] database dropped"
        let line = render("audit", ["username": .string(forged), "event": "login.failure"])
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(line.contains(#"username="x\n2023-11-14T22:13:21.000Z critical authgate: [FORGED] database dropped""#))
        // A value cannot add a field of its own either.
        let field = render("audit", ["username": "bob status=200"])
        #expect(field.contains(#"username="bob status=200""#))
    }

    @Test(arguments: lineBreakers)
    func noLineBreakerSurvivesInMessageKeyOrValue(_ breaker: String) {
        let text = "a" + breaker + "b"
        let line = render(text, [text: .string(text), "list": .array([.string(text)])], label: text)
        let body = line.dropLast()  // the record's own newline
        #expect(
            !body.unicodeScalars.contains {
                [
                    "\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}",
                    "\u{2028}", "\u{2029}"
                ].contains($0)
            }, "\(line.debugDescription)")
    }

    @Test func controlsAreEscapedVisiblyAndBackslashesToo() {
        let line = render("esc \u{1B}[31m red \u{7F} \u{9B} tab\t nul\u{0} \\n \u{202E}evil", [:], label: "t")
        #expect(line.hasSuffix(#": esc \x1b[31m red \x7f \u009b tab\t nul\x00 \\n \u202eevil"# + "\n"), "\(line)")
    }

    @Test func quotesInsideQuotedValuesAreEscaped() {
        #expect(render("m", ["k": #"say "hi""#], label: "t").hasSuffix(#" k="say \"hi\"""# + "\n"))
        #expect(render("m", ["k": ""], label: "t").hasSuffix(#" k="""# + "\n"))
        #expect(render("m", ["k": "Grüße, 日本"], label: "t").hasSuffix(#" k="Grüße, 日本""# + "\n"))
        #expect(render("m", ["k": "Grüße,日本"], label: "t").hasSuffix(" k=Grüße,日本\n"))
    }

    @Test func theHandlerWritesTextWhenAskedTo() {
        let lines = Mutex<[[UInt8]]>([])
        var logger = Logger(label: "authgate.audit") { label in
            LineLogHandler(label: label, format: .text, output: { line, _ in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "request.id"] = "abc"
        logger.notice("audit", metadata: ["username": "x\n[FORGED] critical"])
        let written = lines.withLock { $0 }.map { String(decoding: $0, as: UTF8.self) }
        #expect(written.count == 1)
        #expect(
            written[0].hasSuffix(#"notice authgate.audit: audit request.id=abc username="x\n[FORGED] critical""# + "\n")
        )
    }
}
