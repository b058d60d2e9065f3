import AuthGateCore
import AuthGateStore

/// The JSON a browser's WebAuthn answer arrives in: objects, and binary
/// values as base64url strings (as `PublicKeyCredential.toJSON()` writes
/// them). Anything else is a 400 naming the field.
enum PasskeyJSON {
    static func object(_ value: JSONValue?, _ name: String) throws(APIError) -> [String: JSONValue] {
        guard case .object(let members)? = value else { throw .badRequest("\(name) must be an object") }
        return members
    }

    static func bytes(_ object: [String: JSONValue], _ name: String) throws(APIError) -> [UInt8] {
        guard let text = object[name]?.stringValue, let bytes = Base64URL.decode(Array(text.utf8)) else {
            throw .badRequest("\(name) must be base64url")
        }
        return bytes
    }

    /// WebAuthn's PublicKeyCredentialRequestOptions / CreationOptions
    /// share these members.
    static func credentialList(_ credentials: [WebAuthnCredential]) -> JSONValue {
        .array(credentials.map { .object(["type": .string("public-key"), "id": .string($0.credentialID)]) })
    }
}
