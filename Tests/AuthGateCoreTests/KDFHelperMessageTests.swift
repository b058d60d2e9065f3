import Testing
@testable import AuthGateCore

/// The messages between a KDF thread and its helper process.
@Suite struct KDFHelperMessageTests {
    typealias Message = KDFHelperMessage

    @Test(arguments: [
        HashMethod.default, .scrypt(n: 16384, r: 8, p: 1), .pbkdf2(.sha256, iterations: 1000),
        .pbkdf2(.sha512, iterations: 600_000)
    ])
    func aRequestComesBackAsItWasSent(method: HashMethod) throws {
        let request = Message.Request(
            method: method, password: Array("pässwörd\u{0}$".utf8), salt: Array("abcdefghijklmnop".utf8))
        let bytes = try #require(Message.encode(request))
        #expect(Message.decodeRequest(bytes[...]) == request)
    }

    @Test func emptyPasswordAndSaltSurvive() throws {
        let request = Message.Request(method: .default, password: [], salt: [])
        #expect(Message.decodeRequest(try #require(Message.encode(request))[...]) == request)
    }

    @Test func aRequestOverTheLimitIsNotEncoded() {
        let fits = Message.maxRequestBytes - 2 - "scrypt:32768:8:1".utf8.count - 4 - 16
        let salt = Array("abcdefghijklmnop".utf8)
        #expect(Message.encode(.init(method: .default, password: Array(repeating: 97, count: fits), salt: salt)) != nil)
        #expect(
            Message.encode(.init(method: .default, password: Array(repeating: 97, count: fits + 1), salt: salt)) == nil)
    }

    @Test func malformedRequestsAreRefused() throws {
        let good = try #require(Message.encode(.init(method: .default, password: [1, 2, 3], salt: [4, 5])))
        // Every truncation inside the method or the password's length.
        for cut in 0..<(2 + 16 + 4) { #expect(Message.decodeRequest(good[..<cut]) == nil, "cut at \(cut)") }
        // A password length past the end.
        var long = good
        long[2 + 16] = 200
        #expect(Message.decodeRequest(long[...]) == nil)
        // Methods Werkzeug would not run, or not as the encoder writes them.
        for method in ["scrypt:3:8:1", "scrypt", "md5", "pbkdf2:sha256:0", "scrypt:1048576:8:64", "pbkdf2:sha256"] {
            let text = Array(method.utf8)
            let bytes = [UInt8(text.count), 0] + text + [0, 0, 0, 0]
            #expect(Message.decodeRequest(bytes[...]) == nil, "\(method)")
        }
    }

    @Test func repliesComeBackAsTheyWereSent() {
        let replies: [Message.Reply] = [
            .derived(key: Array(repeating: 7, count: 64), cpuNanoseconds: 91_000_000),
            .derived(key: Array(repeating: 1, count: 32), cpuNanoseconds: 0), .failed(cpuNanoseconds: .max)
        ]
        for reply in replies {
            let bytes = Message.encode(reply)
            #expect(bytes.count <= Message.maxReplyBytes)
            #expect(Message.decodeReply(bytes[...]) == reply)
        }
    }

    @Test func malformedRepliesAreRefused() {
        #expect(Message.decodeReply([][...]) == nil)
        #expect(Message.decodeReply([0, 1, 2, 3, 4, 5, 6, 7][...]) == nil)  // short of the CPU time
        #expect(Message.decodeReply([0, 0, 0, 0, 0, 0, 0, 0, 0][...]) == nil)  // derived, but no key
        #expect(Message.decodeReply([1, 0, 0, 0, 0, 0, 0, 0, 0, 9][...]) == nil)  // failed, with a key
        #expect(Message.decodeReply([2, 0, 0, 0, 0, 0, 0, 0, 0, 9][...]) == nil)  // no such status
    }
}
