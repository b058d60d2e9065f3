import AuthGateCore

/// The JWT parser and verifier: the input is the token text, checked by
/// two real key rings at the fixed time: HS256 current with a previous
/// HMAC key and an Ed25519 public key, and EdDSA current with the HS256
/// key as previous. Invariants: each part that base64url-decodes encodes
/// back to the same text (one spelling per token), and a token that
/// verifies is not expired.
enum JWTTarget {
    static let codecs = [FuzzFixtures.hmacConfig, FuzzFixtures.eddsaConfig].map {
        JWTCodec(keys: $0.keys, leeway: $0.leeway)
    }

    static func run(_ input: [UInt8]) {
        let token = String(decoding: input, as: UTF8.self)
        for part in input.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if let decoded = Base64URL.decode(part), !Base64URL.encode(decoded).utf8.elementsEqual(part) {
                FuzzCheck.fail("base64url decodes a non-canonical spelling", input)
            }
        }
        for codec in codecs {
            guard let claims = try? codec.verify(token, now: FuzzFixtures.now) else { continue }
            if claims.expires <= FuzzFixtures.now - Double(codec.leeway) {
                FuzzCheck.fail("an expired token verified", input)
            }
            blackHole(claims)
        }
    }
}
