import AuthGateCore
/// Field rules of the register contract. "Characters" are Unicode scalars,
/// "whitespace" the White_Space property, "control" category Cc.
package enum Validation {
    static func isSpaceOrControl(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || s.properties.generalCategory == .control
    }

    package static func username(_ name: String) throws(APIError) {
        let count = name.unicodeScalars.count
        guard (1...80).contains(count), !name.unicodeScalars.contains(where: isSpaceOrControl) else {
            throw .badRequest("username must be 1 to 80 characters with no whitespace or control characters")
        }
    }

    package static func email(_ email: String) throws(APIError) {
        let scalars = email.unicodeScalars
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard scalars.count <= 254, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !scalars.contains(where: isSpaceOrControl)
        else {
            throw .badRequest("email must be an address with one @, at most 254 characters, no whitespace")
        }
    }

    package static func password(_ password: String) throws(APIError) {
        guard password.unicodeScalars.count >= 6, password.utf8.count <= 1024 else {
            throw .badRequest("password must be at least 6 characters and at most 1024 bytes")
        }
    }
}
