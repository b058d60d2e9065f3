import Testing
@testable import AuthGateCore
import AuthGateTestSupport

/// EdDSA, ES256 and RS256 through OpenSSL: signing and verifying, the
/// RFC test vectors, thumbprints as kids, the key set, and algorithm pinning.
@Suite struct AsymmetricTokenTests {
    let now = 1_700_000_100.0

    func config(_ env: [String: String]) throws -> Config {
        try Config.load(environment: env, dotEnv: [:], workingDirectory: "/srv/app")
    }

    func codec(_ algorithm: String, _ pem: String, previous: [String: String] = [:]) throws -> JWTCodec {
        let c = try config(["FLASK_JWT_ALGORITHM": algorithm, "FLASK_JWT_PRIVATE_KEY": pem].merging(previous) { $1 })
        return JWTCodec(keys: c.keys, leeway: 0)
    }

    func claims(_ jti: String = "j") -> Claims {
        Claims(
            subject: "alice", kind: .access, fresh: true, jti: jti, issuedAt: 1_700_000_000,
            notBefore: 1_700_000_000, expires: 1_700_000_900)
    }

    func parts(_ token: String) -> [Substring] { token.split(separator: ".", omittingEmptySubsequences: false) }

    func decoded(_ part: Substring) throws -> JSONValue {
        try JSONParser.parse(try #require(Base64URL.decode(Array(part.utf8))))
    }

    static let algorithms: [(String, String, Int)] = [
        ("EdDSA", TestKeys.ed25519, 64), ("ES256", TestKeys.p256, 64), ("RS256", TestKeys.rsa2048, 256)
    ]

    @Test(arguments: algorithms.indices)
    func signsAndVerifies(index: Int) throws {
        let (alg, pem, signatureBytes) = Self.algorithms[index]
        let c = try codec(alg, pem)
        let token = try c.sign(claims())
        let header = try decoded(parts(token)[0])
        #expect(header == .object(["alg": .string(alg), "kid": .string(c.keys.current.kid), "typ": .string("JWT")]))
        // ES256: raw r || s, not DER (which would be 70-72 bytes).
        #expect(Base64URL.decode(Array(parts(token)[2].utf8))?.count == signatureBytes)
        #expect(try c.verify(token, now: now) == claims())
        var tampered = Array(token.utf8)
        tampered[tampered.count - 5] =
            tampered[tampered.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: TokenError.invalidToken) { try c.verify(String(decoding: tampered, as: UTF8.self), now: now) }
    }

    @Test func ed25519MatchesRFC8037() throws {
        let key = try JWTKey(AsymmetricKey.privateKey(pem: Array(TestKeys.rfc8037Ed25519.utf8)))
        #expect(key.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")  // A.3
        let input = Array("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".utf8)  // A.4
        let signature = try key.sign(input)
        #expect(
            Base64URL.encode(signature)
                == "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
        #expect(key.verifies(signature, over: input))
    }

    @Test func rsaThumbprintMatchesRFC7638() throws {
        let key = try JWTKey(AsymmetricKey.publicKey(pem: Array(TestKeys.rfc7638RSAPublic.utf8)))
        #expect(key.kid == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        #expect(key.algorithm == .rs256)
    }

    @Test func aDERSignatureIsNotAnES256Signature() throws {
        let c = try codec("ES256", TestKeys.p256)
        let token = try c.sign(claims())
        let raw = try #require(Base64URL.decode(Array(parts(token)[2].utf8)))
        let der = try #require(ECDSASignature.der(fromRaw: raw))
        #expect(ECDSASignature.raw(fromDER: der) == raw)
        let derToken = parts(token)[0] + "." + parts(token)[1] + "." + Base64URL.encode(der)
        #expect(throws: TokenError.invalidToken) { try c.verify(String(derToken), now: now) }
    }

    /// HS256 "signed" with the public key's PEM as the secret: the classic
    /// confusion. Refused with the public key's kid and without a kid.
    @Test func aPublicKeyIsNeverAnHMACSecret() throws {
        let c = try codec("EdDSA", TestKeys.ed25519)
        let kid = c.keys.current.kid
        let body = Base64URL.encode(claims().json())
        for header in [
            #"{"alg":"HS256","kid":"\#(kid)","typ":"JWT"}"#, #"{"alg":"HS256","typ":"JWT"}"#,
            #"{"alg":"none","kid":"\#(kid)"}"#
        ] {
            let input = Base64URL.encode(Array(header.utf8)) + "." + body
            let mac = try Crypto.hmac(.sha256, key: Array(TestKeys.ed25519Public.utf8), data: Array(input.utf8))
            #expect(throws: TokenError.invalidToken) { try c.verify(input + "." + Base64URL.encode(mac), now: now) }
        }
    }

    @Test func aTokenOfOneKeyPairIsRefusedByAnother() throws {
        let token = try codec("EdDSA", TestKeys.ed25519Other).sign(claims())
        #expect(throws: TokenError.invalidToken) { try codec("EdDSA", TestKeys.ed25519).verify(token, now: now) }
    }

    @Test func previousPublicKeysVerifyUnderTheirOwnAlgorithm() throws {
        let oldEd = try codec("EdDSA", TestKeys.ed25519Other)
        let oldRSA = try codec("RS256", TestKeys.rsa2048)
        let bundle = "old keys\n" + TestKeys.ed25519OtherPublic + "\n" + TestKeys.rsa2048Public + "\n"
        let c = try codec("ES256", TestKeys.p256, previous: ["AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS": bundle])
        #expect(c.keys.verifying.map(\.algorithm) == [.es256, .edDSA, .rs256])
        #expect(try c.verify(try oldEd.sign(claims("ed")), now: now).jti == "ed")
        #expect(try c.verify(try oldRSA.sign(claims("rsa")), now: now).jti == "rsa")
        // Previous keys only verify: new tokens carry the current kid.
        #expect(try decoded(parts(try c.sign(claims()))[0])["kid"] == .string(c.keys.current.kid))
    }

    @Test func previousHMACKeysVerifyAsHS256WhenTheCurrentKeyIsAPair() throws {
        let c = try codec(
            "EdDSA", TestKeys.ed25519, previous: ["AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": "flask-era-secret"])
        let flask = try JWTCodec(key: Array("flask-era-secret".utf8), algorithm: .hs256, leeway: 0)
        #expect(try c.verify(try flask.sign(claims("hs")), now: now).jti == "hs")
    }

    @Test func theKeySetHoldsThePublicKeysOnly() throws {
        let c = try codec(
            "EdDSA", TestKeys.ed25519,
            previous: [
                "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS": TestKeys.rsa2048Public,
                "AUTHGATE_JWT_PREVIOUS_SECRET_KEYS": "an-hmac-key-that-must-not-show"
            ])
        guard case .object(let set) = try JSONParser.parse(c.keys.jwks), case .array(let keys)? = set["keys"] else {
            Issue.record("not a key set")
            return
        }
        #expect(keys.count == 2)
        #expect(keys.map { $0["kid"] } == c.keys.verifying.filter { !$0.algorithm.isHMAC }.map { .string($0.kid) })
        #expect(keys[0]["kty"] == .string("OKP") && keys[0]["crv"] == .string("Ed25519"))
        #expect(keys[0]["alg"] == .string("EdDSA") && keys[0]["use"] == .string("sig"))
        #expect(keys[1]["kty"] == .string("RSA") && keys[1]["alg"] == .string("RS256"))
        for key in keys { #expect(key["d"] == nil && key["k"] == nil) }
        #expect(!String(decoding: c.keys.jwks, as: UTF8.self).contains("an-hmac-key"))
    }

    @Test func aMatchingPublicKeyIsAcceptedAndAnotherRefused() throws {
        _ = try config([
            "FLASK_JWT_ALGORITHM": "EdDSA", "FLASK_JWT_PRIVATE_KEY": TestKeys.ed25519,
            "FLASK_JWT_PUBLIC_KEY": TestKeys.ed25519Public
        ])
        #expect {
            try config([
                "FLASK_JWT_ALGORITHM": "EdDSA", "FLASK_JWT_PRIVATE_KEY": TestKeys.ed25519Other,
                "FLASK_JWT_PUBLIC_KEY": TestKeys.ed25519Public
            ])
        } throws: { ($0 as? ConfigError)?.variable == "FLASK_JWT_PUBLIC_KEY" }
    }

    @Test(arguments: [
        ("ES256", TestKeys.ed25519, "FLASK_JWT_PRIVATE_KEY"),  // wrong type for the algorithm
        ("ES256", TestKeys.p384, "FLASK_JWT_PRIVATE_KEY"),  // wrong curve
        ("RS256", TestKeys.rsa1024, "FLASK_JWT_PRIVATE_KEY"),  // too short
        ("EdDSA", TestKeys.ed448, "FLASK_JWT_PRIVATE_KEY"),  // unsupported
        ("EdDSA", "not a key", "FLASK_JWT_PRIVATE_KEY"),
        ("EdDSA", TestKeys.ed25519Public, "FLASK_JWT_PRIVATE_KEY"),  // a public key is not a private key
        ("EdDSA", TestKeys.ed25519Encrypted, "FLASK_JWT_PRIVATE_KEY")  // no passphrase prompt, a refusal
    ])
    func aKeyThatCannotSignRefusesToStart(algorithm: String, pem: String, variable: String) {
        #expect { try config(["FLASK_JWT_ALGORITHM": algorithm, "FLASK_JWT_PRIVATE_KEY": pem]) } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.variable == variable && !e.description.contains("PRIVATE KEY-----")
        }
    }

    @Test func anAsymmetricAlgorithmNeedsAPrivateKeyNotASecret() throws {
        #expect { try config(["FLASK_JWT_ALGORITHM": "RS256", "FLASK_SECRET_KEY": "s"]) } throws: {
            ($0 as? ConfigError)?.variable == "FLASK_JWT_PRIVATE_KEY"
        }
        let c = try config(["FLASK_JWT_ALGORITHM": "RS256", "FLASK_JWT_PRIVATE_KEY": TestKeys.rsa2048])
        #expect(c.jwtKey.isEmpty && c.algorithm == .rs256)
    }

    @Test func aPreviousKeyBundleWithoutKeysRefusesToStart() {
        #expect {
            try config([
                "FLASK_SECRET_KEY": String(repeating: "k", count: 32),
                "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS": "nothing here"
            ])
        } throws: { ($0 as? ConfigError)?.variable == "AUTHGATE_JWT_PREVIOUS_PUBLIC_KEYS" }
    }
}
