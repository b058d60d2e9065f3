"""A software WebAuthn authenticator for the end-to-end tests: it answers
AuthGate's creation and request options as a browser and a security key
would (attestation "none", ES256, EdDSA or RS256, a sign counter), written from
the WebAuthn Level 2 specification with `cryptography` and `cbor2`, so
AuthGate's own code is not what checks AuthGate. Tests may break any part
of an answer to see it refused."""
import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from harness import Stack


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, origin, alg=-7, rsa_bits=2048):
        self.origin = origin
        self.alg = alg
        if alg == -7:
            self.key = ec.generate_private_key(ec.SECP256R1())
        elif alg == -257:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
        self.credential_id = os.urandom(32)
        self.counter = 0

    def cose_key(self):
        if self.alg == -7:
            numbers = self.key.public_key().public_numbers()
            return {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        if self.alg == -257:
            numbers = self.key.public_key().public_numbers()
            return {1: 3, 3: -257, -1: numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"),
                    -2: numbers.e.to_bytes(3, "big")}
        raw = self.key.public_key().public_bytes_raw()
        return {1: 1, 3: -8, -1: 6, -2: raw}

    def client_data(self, kind, challenge, origin=None):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def auth_data(self, rp_id, attested, flags=0x01):
        self.counter += 1
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags | (0x40 if attested else 0)])
        data += struct.pack(">I", self.counter)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += cbor2.dumps(self.cose_key())
        return data

    def create(self, options, origin=None):
        """The credential `navigator.credentials.create({publicKey})` returns, as JSON."""
        public_key = options["publicKey"]
        auth_data = self.auth_data(public_key["rp"]["id"], attested=True)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(self.client_data("webauthn.create", public_key["challenge"], origin)),
                             "attestationObject": b64url(attestation)}}

    def get(self, options, origin=None, counter=None, verified=False, user_handle=None):
        """The assertion `navigator.credentials.get({publicKey})` returns, as
        JSON; `verified` sets the UV flag (a PIN or biometric was checked)."""
        public_key = options["publicKey"]
        auth_data = self.auth_data(public_key["rpId"], attested=False, flags=0x05 if verified else 0x01)
        if counter is not None:
            auth_data = auth_data[:33] + struct.pack(">I", counter)
        client_data = self.client_data("webauthn.get", public_key["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        if self.alg == -7:
            signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        elif self.alg == -257:
            signature = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = self.key.sign(signed)
        response = {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature)}
        if user_handle is not None:
            response["userHandle"] = b64url(user_handle)
        return {"id": b64url(self.credential_id), "type": "public-key", "response": response}


def passkey_stack(backend, postgres=None, env=None):
    """A stack with passkeys on for http://localhost:PORT. The origin names
    nginx's port, known only once nginx runs: the responder starts again
    with it. `stack.origin` is where a browser must open the pages."""
    stack = Stack(backend, postgres=postgres, env=env)
    stack.origin = f"http://localhost:{stack.nginx.port}"
    stack.responder.stop()
    stack.responder.env.update({"AUTHGATE_WEBAUTHN_RP_ID": "localhost", "AUTHGATE_WEBAUTHN_ORIGIN": stack.origin})
    stack.responder.start()
    return stack
