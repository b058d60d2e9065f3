import AuthGateCore
import AuthGateHTTP

/// The JSON body decoder: `JSONParser` on raw bytes, then `JSONBody` as
/// the handlers read a body. Invariant: what parses, written back by
/// `JSONWriter`, parses again and writes the same bytes.
enum JSONTarget {
    static func run(_ input: [UInt8]) {
        if let value = try? JSONParser.parse(input) {
            var written: [UInt8] = []
            JSONWriter.write(value, into: &written)
            guard let again = try? JSONParser.parse(written) else {
                FuzzCheck.fail("JSONWriter wrote what JSONParser refuses", input)
            }
            var rewritten: [UInt8] = []
            JSONWriter.write(again, into: &rewritten)
            guard rewritten == written else { FuzzCheck.fail("JSON write/parse/write is not stable", input) }
        }
        let request = Request(
            method: "POST", path: "/auth/register", headers: ["content-type": "application/json"],
            body: input, logger: FuzzFixtures.logger)
        if let body = try? JSONBody(request) {
            for field in ["username", "email", "password"] { blackHole(try? body.string(field)) }
        }
    }
}
