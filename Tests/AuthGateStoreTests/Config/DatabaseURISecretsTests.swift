import Testing
import AuthGateCore
@testable import AuthGateStore
import AuthGateTestSupport

/// The database password never leaves through a message: libpq's errors
/// about a URI are redacted where the connection is made, and the URIs
/// libpq could not parse are refused at start-up in AuthGate's own words.
@Suite struct DatabaseURISecretsTests {
    /// Malformed URIs (as libpq gets them) and the secret each holds.
    static let malformed: [(uri: String, secret: String)] = [
        ("postgresql://u:S3cr%t!pw@127.0.0.1:1/db", "S3cr%t!pw"),
        ("postgresql://u@127.0.0.1:1/db?password=Hunter%2", "Hunter%2"),
        ("postgresql://u:TopSecret@[::1/db", "TopSecret"),
        ("postgresql://u:pw0rd-x9@[]/db", "pw0rd-x9"),
        ("postgresql://u:pw0rd-x8@[::1]x/db", "pw0rd-x8"),
        ("postgresql://u:p%00ssw0rd@127.0.0.1:1/db", "p%00ssw0rd"),
        ("postgresql://u@127.0.0.1:1/db?password=x%00Secret7", "Secret7"),
        ("postgresql://u@127.0.0.1:1/db?Hunter2xyz", "Hunter2xyz"),
        ("postgresql://u:p@ssw0rd@127.0.0.1:1/db", "ssw0rd"),
        ("postgresql://u:pw4port/ss-w0rd@127.0.0.1:1/db", "pw4port"),
        ("postgresql://u:pw-port-57@127.0.0.1:1/db?password=a=b-q9&sslmode=disable", "b-q9")
    ]

    /// What libpq says, through the connection AuthGate uses: the secret
    /// is masked, and the message still says what went wrong.
    @Test(arguments: malformed)
    func libpqMessagesAreRedactedByTheConnection(uri: String, secret: String) throws {
        let connection = PGConnection(uri: uri, echo: false, logger: .init(label: "test"))
        do {
            try connection.exec(unsafeSQL: "SELECT 1")
            Issue.record("connected with \(uri)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("database unavailable: "), "\(text)")
            #expect(text.count > "database unavailable: ".count + 10, "\(text)")
            #expect(!text.contains(secret), "\(text)")
            #expect(!text.contains(uri), "\(text)")
        }
    }

    @Test func theReviewersExamplesAreMasked() {
        let cases: [(uri: String, message: String, secret: String)] = [
            ("postgresql://u:S3cr%t!pw@db/app", #"invalid percent-encoded token: "S3cr%t!pw""#, "S3cr%t!pw"),
            ("postgresql://u@db/app?password=Hunter%2", #"invalid percent-encoded token: "Hunter%2""#, "Hunter%2"),
            (
                "postgresql://u:TopSecret@[::1/db",
                #"end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://u:TopSecret@[::1/db""#,
                "TopSecret"
            )
        ]
        for (uri, message, secret) in cases {
            let redacted = DatabaseURIRedactor(uri: uri).redact(message)
            #expect(!redacted.contains(secret), "\(redacted)")
            #expect(redacted.contains("***"), "\(redacted)")
        }
        // The whole URI is shown as check-config shows it, host and database kept.
        let whole = DatabaseURIRedactor(uri: "postgresql://u:TopSecret@[::1/db")
            .redact(#"in URI: "postgresql://u:TopSecret@[::1/db""#)
        #expect(whole == #"in URI: "postgresql://***@[::1/db""#)
    }

    @Test func decodedFormsAndPiecesOfASplitPasswordAreMasked() {
        let uri = "postgresql://u:pa%2Fss%40w0rd@db/app?password=q%26value&sslmode=require"
        let redactor = DatabaseURIRedactor(uri: uri)
        #expect(!redactor.redact("it was pa/ss@w0rd").contains("pa/ss@w0rd"))
        #expect(!redactor.redact("value q&value").contains("q&value"))
        // libpq split "p@ss:w0rd" at the first '@': a quoted piece is masked.
        let split = DatabaseURIRedactor(uri: "postgresql://u:p@ss-w0rd@db/app")
        #expect(
            split.redact(#"could not translate host name "ss-w0rd@db" to address"#)
                == #"could not translate host name "***" to address"#)
    }

    @Test func messagesWithoutSecretsStayReadable() {
        let redactor = DatabaseURIRedactor(
            uri: "postgresql://authgate:hunter2-long@db.example:5432/app?sslmode=require&connect_timeout=3")
        let message =
            #"connection to server at "db.example" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user "authgate""#
        #expect(redactor.redact(message) == message)
        let sqlite = DatabaseLocation.sqlite(path: "/srv/db.sqlite")
        #expect(sqlite.redacting("unable to open database file") == "unable to open database file")
    }

    // --- refused at start-up --------------------------------------------------

    func load(_ uri: String) throws -> Config {
        try Config.load(
            environment: ["FLASK_SECRET_KEY": "k", "FLASK_SQLALCHEMY_DATABASE_URI": uri],
            dotEnv: [:], workingDirectory: "/srv/app")
    }

    @Test(
        arguments: malformed + [
            ("postgresql://u:pw@h/db?a=1&&b=2", "pw@h"),
            ("postgresql://u:pw-in-bracket@h]/db", "pw-in-bracket"),
            ("postgresql://u:pw@[::1]]:5432/db", "pw@["),
            ("postgres://u:nul\u{0}pw@h/db", "nul\u{0}pw"),
            ("sqlite:////srv/a\u{0}b.db", "a\u{0}b")
        ])
    func malformedURIsAreRefusedNamingTheVariableOnly(uri: String, secret: String) {
        #expect { try load(uri) } throws: { error in
            guard let error = error as? ConfigError else { return false }
            let text = "\(error)"
            return error.variable == "FLASK_SQLALCHEMY_DATABASE_URI" && !text.contains(secret)
                && !text.contains(uri) && error.message.count > 10
        }
    }

    @Test(arguments: [
        "postgresql://u:p%40ss%2Fw%25rd@db.example:5432/app?sslmode=require&password=x%26y%3Dz",
        "postgresql+psycopg2://u:pw@[::1]:5432,[fe80::1%25eth0]:5433,db2/app",
        "postgresql:///app?host=/var/run/postgresql",
        "postgresql://db/app?",
        "postgresql://u@db",
        "postgres://u:p[w]x@db/app",
        "sqlite:////var/lib/authgate/db.sqlite"
    ])
    func wellFormedURIsStillLoad(uri: String) throws {
        _ = try load(uri)
    }
}
