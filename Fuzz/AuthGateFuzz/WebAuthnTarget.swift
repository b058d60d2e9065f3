import AuthGateCore

/// The CBOR decoder and the WebAuthn parsers on one input: as a CBOR item,
/// as authenticator data, and as the attestation object of a registration
/// whose client data is right (so the CBOR and authenticator-data checks
/// behind it are reached). Invariants: a whole-input decode ends where a
/// prefix decode of it ends, and a registration that passes names a key
/// that parses again from its own SubjectPublicKeyInfo.
enum WebAuthnTarget {
    static let ceremony = WebAuthnCeremony(rpID: "localhost", origin: "http://localhost:8080")
    static let challenge = Array(repeating: UInt8(7), count: 32)
    static let clientData = Array(
        #"{"type":"webauthn.create","challenge":"\#(Base64URL.encode(challenge))","origin":"http://localhost:8080"}"#
            .utf8)

    static func run(_ input: [UInt8]) {
        if let whole = try? CBORDecoder.decode(input) {
            guard let (prefix, end) = try? CBORDecoder.decodePrefix(input, at: 0), end == input.count, prefix == whole
            else { FuzzCheck.fail("a whole decode and a prefix decode disagree", input) }
        }
        if let (_, end) = try? CBORDecoder.decodePrefix(input, at: 0), end > input.count {
            FuzzCheck.fail("a prefix decode ends beyond the input", input)
        }
        blackHole(try? AuthenticatorData(input))
        if let created = try? ceremony.register(
            clientDataJSON: clientData, attestationObject: input, challenge: challenge)
        {
            guard (try? WebAuthnKey(spki: created.key.spki, algorithm: created.key.algorithm)) == created.key else {
                FuzzCheck.fail("a registered key does not parse again", input)
            }
        }
    }
}
