/// Authenticator data (WebAuthn Level 2 §6.1): the RP ID hash, flags, sign
/// counter and, at registration, the new credential and its COSE key.
/// Every length is checked against the bytes there are; trailing bytes
/// are refused unless the extensions flag says they are one CBOR map.
public struct AuthenticatorData: Sendable, Equatable {
    public let rpIDHash: [UInt8]
    public let flags: UInt8
    public let signCount: UInt32
    public let credentialID: [UInt8]?
    public let credentialKey: CBORValue?

    public var userPresent: Bool { flags & 0x01 != 0 }
    public var userVerified: Bool { flags & 0x04 != 0 }
    public var hasAttestedCredential: Bool { flags & 0x40 != 0 }
    public var hasExtensions: Bool { flags & 0x80 != 0 }

    /// WebAuthn Level 2 §5.1: a credential ID is at most 1023 bytes.
    public static let maxCredentialIDBytes = 1023

    public init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else { throw .malformed("authenticator data") }
        rpIDHash = Array(bytes[0..<32])
        flags = bytes[32]
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags & 0x40 != 0 {
            // AAGUID (16), credential ID length (2), credential ID, COSE key.
            guard bytes.count >= offset + 18 else { throw .malformed("attested credential data") }
            let length = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard length > 0, length <= Self.maxCredentialIDBytes, bytes.count >= offset + length else {
                throw .malformed("credential ID")
            }
            credentialID = Array(bytes[offset..<(offset + length)])
            offset += length
            guard let (key, end) = try? CBORDecoder.decodePrefix(bytes, at: offset) else {
                throw .malformed("credential public key")
            }
            credentialKey = key
            offset = end
        } else {
            credentialID = nil
            credentialKey = nil
        }
        if flags & 0x80 != 0 {
            guard let (extensions, end) = try? CBORDecoder.decodePrefix(bytes, at: offset),
                case .map = extensions
            else { throw .malformed("extensions") }
            offset = end
        }
        guard offset == bytes.count else { throw .malformed("trailing bytes in authenticator data") }
    }
}
