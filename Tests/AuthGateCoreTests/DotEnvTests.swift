import Testing
@testable import AuthGateCore
import AuthGateTestSupport

@Suite struct DotEnvTests {
    @Test func plainValuesAndExport() {
        let env = DotEnv.parse("A=1\nexport B=two\n  C = three  \n")
        #expect(env == ["A": "1", "B": "two", "C": "three"])
    }

    @Test func commentsOnOwnLineAndAfterWhitespace() {
        let env = DotEnv.parse("# a comment\nA=value # trailing\nB=val#ue\n")
        #expect(env["A"] == "value")
        #expect(env["B"] == "val#ue")
        #expect(env.count == 2)
    }

    @Test func singleQuotesAreLiteral() {
        let env = DotEnv.parse("A='x # not a comment ${HOME} \\n'\n")
        #expect(env["A"] == "x # not a comment ${HOME} \\n")
    }

    @Test func doubleQuotesDecodeEscapesAndSpanLines() {
        let env = DotEnv.parse("A=\"line1\\nline2 \\\"q\\\"\"\nB=\"multi\nline\"\n")
        #expect(env["A"] == "line1\nline2 \"q\"")
        #expect(env["B"] == "multi\nline")
    }

    @Test func emptyValues() {
        let env = DotEnv.parse("A=\nB=''\nC=\"\"\n")
        #expect(env == ["A": "", "B": "", "C": ""])
    }

    @Test func lineWithoutEqualsIsSkipped() {
        let env = DotEnv.parse("JUSTAKEY\nA=1\n")
        #expect(env == ["A": "1"])
    }

    @Test func expansionPrefersTheEnvironmentThenEarlierLines() {
        let env = DotEnv.parse(
            "BASE=db\nURI=sqlite:///${BASE}.sqlite\nX=${MISSING:-fallback}\nH=${HOME}\n",
            lookup: { $0 == "HOME" ? "/root" : nil })
        #expect(env["URI"] == "sqlite:///db.sqlite")
        #expect(env["X"] == "fallback")
        #expect(env["H"] == "/root")
    }

    @Test func crlfLineEndings() {
        let env = DotEnv.parse("A=1\r\nB=2\r\n")
        #expect(env == ["A": "1", "B": "2"])
    }
}
