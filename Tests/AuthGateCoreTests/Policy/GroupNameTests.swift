import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// The one rule for group names, and `AUTHGATE_TOKEN_GROUPS`.
@Suite struct GroupNameTests {
    @Test(arguments: ["ops", "a", "Dev.Team_1-x", String(repeating: "g", count: 64), "...", "-", "_"])
    func namesOfTheAllowedCharactersUpTo64Pass(name: String) {
        #expect(GroupName.isValid(name))
    }

    @Test(arguments: [
        "", String(repeating: "g", count: 65), "a b", "a,b", "a/b", "a%2Cb", "ops\n", "ops\0",
        "grüppe", "a+b", "a;b", "a=b", "a&b", "\u{FF4F}ps"
    ])
    func anythingElseIsRefused(name: String) {
        #expect(!GroupName.isValid(name))
    }

    @Test func aListIsCommaSeparatedNamesWithNoEmptyEntry() {
        #expect(GroupName.list("ops") == ["ops"])
        #expect(GroupName.list("ops,dev.team,qa-1") == ["ops", "dev.team", "qa-1"])
        #expect(GroupName.list("ops,ops") == ["ops", "ops"])
        for bad in ["", ",", "ops,", ",ops", "ops,,dev", "ops, dev", "ops;dev", "ops dev"] {
            #expect(GroupName.list(bad) == nil, "\(bad)")
        }
    }

    @Test func sortingIsByBytes() {
        #expect(GroupName.sorted(["b", "B", "a", "_", "-", "A", "1"]) == ["-", "1", "A", "B", "_", "a", "b"])
    }

    @Test func tokenGroupsIsOffByDefaultAndParsedAsAFlag() throws {
        func load(_ env: [String: String]) throws -> Config {
            try Config.load(
                environment: ["FLASK_SECRET_KEY": "s"].merging(env) { $1 }, dotEnv: [:],
                workingDirectory: "/nonexistent")
        }
        #expect(try !load([:]).tokenGroups)
        #expect(try load(["AUTHGATE_TOKEN_GROUPS": "true"]).tokenGroups)
        #expect(try load(["AUTHGATE_TOKEN_GROUPS": " ON "]).tokenGroups)
        #expect(try !load(["AUTHGATE_TOKEN_GROUPS": "0"]).tokenGroups)
        #expect(throws: ConfigError.self) { try load(["AUTHGATE_TOKEN_GROUPS": "sometimes"]) }
        do {
            _ = try load(["AUTHGATE_TOKEN_GROUPS": "sometimes"])
        } catch {
            #expect("\(error)".contains("AUTHGATE_TOKEN_GROUPS") && !"\(error)".contains("sometimes"))
        }
    }
}
