import Testing
@testable import AuthGateCore

/// Registration and authentication checked against answers made by an
/// independent software authenticator (Tests/EndToEnd/soft_authenticator.py,
/// Python's `cryptography` and `cbor2`) for RP ID example.com and origin
/// https://login.example.com: challenge 0x07 x 32 to register, 0x09 x 32
/// to sign in; one ES256, one EdDSA and one RS256 (2048-bit) credential, id
/// 00 01 ... 0f.
@Suite struct WebAuthnCeremonyTests {
    struct Vector: Sendable {
        let createClientData: String
        let attestation: String
        let getClientData: String
        let authenticatorData: String
        let signature: String
    }

    static let ceremony = WebAuthnCeremony(rpID: "example.com", origin: "https://login.example.com")
    static let registration = Array(repeating: UInt8(7), count: 32)
    static let login = Array(repeating: UInt8(9), count: 32)

    static let vectors: [(String, Vector)] = [
        (
            "es256",
            Vector(
                createClientData:
                    "7b2274797065223a2022776562617574686e2e637265617465222c20226368616c6c656e6765223a202242776348427763484277634842776348427763484277634842776348427763484277634842776348427763222c20226f726967696e223a202268747470733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                attestation:
                    "a363666d74646e6f6e656761747453746d74a06861757468446174615894a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19474100000001000000000000000000000000000000000010000102030405060708090a0b0c0d0e0fa501020326200121582047335f80451fe06ee4eac646097ac7c6e1a20df7e762393ad78399558125c9102258204234d9f2bbc71cdcc8e10bd1e84b29e032e66a1b88dd9d26bdc42b59d033f879",
                getClientData:
                    "7b2274797065223a2022776562617574686e2e676574222c20226368616c6c656e6765223a202243516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b222c20226f726967696e223a202268747470733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                authenticatorData: "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19470100000002",
                signature:
                    "30440220124ef1cc6882f598425579c8395e3c6b8486fb6d3029f5ef6a01ec6910bda6bc02202be701a1a8a3513ea0887fac52b712ace65f827a1a7f74a9c52079eaf807116d"
            )
        ),
        (
            "eddsa",
            Vector(
                createClientData:
                    "7b2274797065223a2022776562617574686e2e637265617465222c20226368616c6c656e6765223a202242776348427763484277634842776348427763484277634842776348427763484277634842776348427763222c20226f726967696e223a202268747470733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                attestation:
                    "a363666d74646e6f6e656761747453746d74a06861757468446174615871a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19474100000001000000000000000000000000000000000010000102030405060708090a0b0c0d0e0fa401010327200621582025e5a4be43645557d05ccc3216a5ca90a3ac147329d5f7c0009ef6b07a4ccbf2",
                getClientData:
                    "7b2274797065223a2022776562617574686e2e676574222c20226368616c6c656e6765223a202243516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b222c20226f726967696e223a202268747470733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                authenticatorData: "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19470100000002",
                signature:
                    "a4353dd1935065412972042024767ed56ecd7327728d19ede88f85e26dd0a6bd390f3eb81c6fbd73b35c7700b8dba5001288f04c3e2024482abf4e8383b9f607"
            )
        ),
        (
            "rs256",
            Vector(
                createClientData:
                    "7b2274797065223a2022776562617574686e2e637265617465222c20226368616c6c656e6765223a20224277634842776348"
                    + "4277634842776348427763484277634842776348427763484277634842776348427763222c20226f726967696e223a202268"
                    + "747470733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                attestation:
                    "a363666d74646e6f6e656761747453746d74a0686175746844617461590157a379a6f6eeafb9a55e378c118034e2751e682f"
                    + "ab9f2d30ab13d2125586ce19474100000001000000000000000000000000000000000010000102030405060708090a0b0c0d"
                    + "0e0fa401030339010020590100b4fd317967d8118fc2efd62fe3d18af5afb7bcabcb8537e34235e120e66e3caccc6d7ad9c6"
                    + "ff7bf12ce05e9de652e94d88a21c4f24a6284448452d47d08a05a9ebb656a4d9b7923cb2b09e0f52fe104db956e07f49cc10"
                    + "e9762927179993710ca84ab416f735dd6606004fef4eff6c3bcfa5d8dfb3706a084ef91bc84be15f7ad555818a48a9bd4aba"
                    + "fe25cacf96c913ae1d528d158176c635d65dba05e66198fbf435b399e1ddcda7bf03900b224b533249e6e07c69e97790214a"
                    + "135ac9083d4e3d782350b91d4cd945642b4280a48d3f0744cd60d3bdf1691b4f78ec66eb97fad72da67bb32b52b91169a438"
                    + "c567b1dc6ef2e926f499db9a5fc6a9af77240d2143010001",
                getClientData:
                    "7b2274797065223a2022776562617574686e2e676574222c20226368616c6c656e6765223a202243516b4a43516b4a43516b"
                    + "4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b4a43516b222c20226f726967696e223a202268747470"
                    + "733a2f2f6c6f67696e2e6578616d706c652e636f6d222c202263726f73734f726967696e223a2066616c73657d",
                authenticatorData: "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19470100000002",
                signature:
                    "5eced7eb85a6c50fdb750e9c4816cc701f4a2cd49c3caa1d4738153bb70aa2e925d8a8a41f5d3a9f8456cec93d0348fdf168"
                    + "f4edd2ac35b35e40274fbc388230cfa4edcfcaf583a9cafb7038c32761a50125acb85fcd0c43218aad2b124f6e4a7f9c3bbe"
                    + "d160bc8da4a1f44adb3207df13cf185336098c5a7698b0726a3a9ce7a37357aa84b9d83bfbcc4e9ad93578da84345eee56e5"
                    + "d1857289509031b8da5d948d5f00108b4446918db3672c6a99e23e495a07d97801d7e7fe2232692e0255f3ebc044f7f52410"
                    + "86206862a3bc0a97b2c86740db2dab221e024f7f8c548b018e8dfe596e23ba54ddaf247a10f3456d4311656352fb6a7e1f50"
                    + "79fd4c2fa7ca"
            )
        )
    ]

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(text.utf8).makeIterator()
        while let a = chars.next(), let b = chars.next() {
            out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) ?? 0)
        }
        return out
    }

    func register(_ v: Vector) throws -> WebAuthnCeremony.NewCredential {
        try Self.ceremony.register(
            clientDataJSON: Self.hex(v.createClientData), attestationObject: Self.hex(v.attestation),
            challenge: Self.registration)
    }

    @Test(arguments: vectors)
    func registersThenVerifiesASignIn(_ name: String, _ v: Vector) throws {
        let created = try register(v)
        #expect(created.id == Array(0..<16))
        #expect(created.key.algorithm == ["es256": .es256, "eddsa": .edDSA, "rs256": .rs256][name])
        #expect(created.signCount == 1)
        let count = try Self.ceremony.authenticate(
            clientDataJSON: Self.hex(v.getClientData), authenticatorData: Self.hex(v.authenticatorData),
            signature: Self.hex(v.signature), challenge: Self.login, key: created.key, storedCount: created.signCount)
        #expect(count == 2)
        // The same answer once the counter moved on is a clone's (or a replay).
        #expect(throws: WebAuthnError.counterNotIncreased) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(v.getClientData), authenticatorData: Self.hex(v.authenticatorData),
                signature: Self.hex(v.signature), challenge: Self.login, key: created.key, storedCount: 2)
        }
    }

    @Test(arguments: vectors)
    func everyCheckRefusesWhatIsNotThisCeremony(_ name: String, _ v: Vector) throws {
        let created = try register(v)
        #expect(throws: WebAuthnError.wrongChallenge) {
            try Self.ceremony.register(
                clientDataJSON: Self.hex(v.createClientData), attestationObject: Self.hex(v.attestation),
                challenge: Self.login)
        }
        #expect(throws: WebAuthnError.wrongOrigin) {
            try WebAuthnCeremony(rpID: "example.com", origin: "https://example.com").register(
                clientDataJSON: Self.hex(v.createClientData), attestationObject: Self.hex(v.attestation),
                challenge: Self.registration)
        }
        #expect(throws: WebAuthnError.wrongRelyingParty) {
            try WebAuthnCeremony(rpID: "login.example.com", origin: "https://login.example.com").register(
                clientDataJSON: Self.hex(v.createClientData), attestationObject: Self.hex(v.attestation),
                challenge: Self.registration)
        }
        // A registration's client data does not sign in, nor a sign-in's register.
        #expect(throws: WebAuthnError.wrongType) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(v.createClientData), authenticatorData: Self.hex(v.authenticatorData),
                signature: Self.hex(v.signature), challenge: Self.registration, key: created.key, storedCount: 0)
        }
        var signature = Self.hex(v.signature)
        signature[signature.count - 1] ^= 1
        #expect(throws: WebAuthnError.badSignature) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(v.getClientData), authenticatorData: Self.hex(v.authenticatorData),
                signature: signature, challenge: Self.login, key: created.key, storedCount: 0)
        }
        // A sign-in by passkey alone needs the person verified (UV), which this answer lacks.
        #expect(throws: WebAuthnError.userNotVerified) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(v.getClientData), authenticatorData: Self.hex(v.authenticatorData),
                signature: Self.hex(v.signature), challenge: Self.login, key: created.key, storedCount: 0,
                requireUserVerification: true)
        }
        // User presence cleared (and so the signature no longer matches either).
        var authData = Self.hex(v.authenticatorData)
        authData[32] &= ~0x01
        #expect(throws: WebAuthnError.userNotPresent) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(v.getClientData), authenticatorData: authData,
                signature: Self.hex(v.signature), challenge: Self.login, key: created.key, storedCount: 0)
        }
    }

    @Test func theOtherAlgorithmsKeyDoesNotVerify() throws {
        let es = try register(Self.vectors[0].1)
        let ed = Self.vectors[1].1
        #expect(throws: WebAuthnError.badSignature) {
            try Self.ceremony.authenticate(
                clientDataJSON: Self.hex(ed.getClientData), authenticatorData: Self.hex(ed.authenticatorData),
                signature: Self.hex(ed.signature), challenge: Self.login, key: es.key, storedCount: 0)
        }
        #expect(throws: WebAuthnError.malformed("public key of another algorithm")) {
            try WebAuthnKey(spki: es.key.spki, algorithm: .edDSA)
        }
    }

    @Test func anRSAModulusIsWrittenAsAMinimalPositiveInteger() {
        #expect(DER.unsignedInteger([0x00, 0x00, 0x7F]) == [0x02, 0x01, 0x7F])
        #expect(DER.unsignedInteger([0x80]) == [0x02, 0x02, 0x00, 0x80])
        #expect(DER.unsignedInteger([]) == [0x02, 0x01, 0x00])
        let long = DER.sequence([UInt8](repeating: 1, count: 300))
        #expect(Array(long.prefix(4)) == [0x30, 0x82, 0x01, 0x2C] && long.count == 304)
        // A modulus under 2048 bits is refused however well formed.
        let short = WebAuthnKey.rsaSubjectPublicKeyInfo(
            modulus: [0xC1] + [UInt8](repeating: 0x55, count: 127), exponent: [1, 0, 1])
        #expect(throws: WebAuthnError.malformed("public key")) { try WebAuthnKey(spki: short, algorithm: .rs256) }
    }

    @Test func anRSAExponentMustBeOddAndAtLeastThree() throws {
        let modulus = [0xC1] + [UInt8](repeating: 0x55, count: 255)
        func key(_ e: [UInt8]) throws -> WebAuthnKey {
            try WebAuthnKey(
                cose: .map([
                    CBORPair(key: .unsigned(1), value: .unsigned(3)),
                    CBORPair(key: .unsigned(3), value: .negative(256)),
                    CBORPair(key: .negative(0), value: .bytes(modulus)), CBORPair(key: .negative(1), value: .bytes(e))
                ]))
        }
        for e: [UInt8] in [[1], [0, 1], [4], [], [1, 0, 0, 0, 1]] {
            #expect(throws: WebAuthnError.malformed("RS256 COSE key")) { try key(e) }
        }
        #expect(try key([1, 0, 1]).algorithm == .rs256)
        #expect(try key([0xFF, 0xFF, 0xFF, 0xFF]).algorithm == .rs256)
    }

    @Test func anRSAModulusOver4096BitsIsRefused() throws {
        let cose = { (bytes: Int) -> CBORValue in
            .map([
                CBORPair(key: .unsigned(1), value: .unsigned(3)), CBORPair(key: .unsigned(3), value: .negative(256)),
                CBORPair(key: .negative(0), value: .bytes([0xC1] + [UInt8](repeating: 0x55, count: bytes - 1))),
                CBORPair(key: .negative(1), value: .bytes([1, 0, 1]))
            ])
        }
        #expect(throws: WebAuthnError.malformed("RS256 COSE key")) { try WebAuthnKey(cose: cose(513)) }
        #expect(throws: Never.self) { try WebAuthnKey(cose: cose(512)) }
    }

    /// Truncations and single-byte changes of a real attestation object
    /// are refused or parsed, never a crash.
    @Test func mangledAttestationObjectsNeverTrap() throws {
        let attestation = Self.hex(Self.vectors[0].1.attestation)
        let clientData = Self.hex(Self.vectors[0].1.createClientData)
        for end in 0..<attestation.count {
            #expect(
                (try? Self.ceremony.register(
                    clientDataJSON: clientData, attestationObject: Array(attestation[..<end]),
                    challenge: Self.registration)) == nil)
        }
        for i in attestation.indices {
            var changed = attestation
            changed[i] ^= 0xFF
            _ = try? Self.ceremony.register(
                clientDataJSON: clientData, attestationObject: changed, challenge: Self.registration)
        }
    }
}
