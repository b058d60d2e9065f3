/// PEM keys made for these tests only (never used anywhere else).
package enum TestKeys {
    /// Ed25519 private key.
    package static let ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIAE87v6aUvT3WSVGPd2hOwMIlRkUvMrs+S2VxwCiycho
        -----END PRIVATE KEY-----
        """
    /// Its public key.
    package static let ed25519Public = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEADJ1Ah1G61R3zPXgUH0sJw0JbB9X+gHGf0vTG+ELF+hc=
        -----END PUBLIC KEY-----
        """
    /// Another Ed25519 private key.
    package static let ed25519Other = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIFNMivkGy+vfvLqjmgIKcqvR5IjCBzmg9rBYhpz8I/R9
        -----END PRIVATE KEY-----
        """
    /// EC P-256 private key (ES256).
    package static let p256 = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7L+uHnLPBD1D1Fjd
        bVHEZd1k/zh+hSRESMblIMFHdvGhRANCAAT2eytyOeYIxntTJbRfg5fUcMAZpi+T
        ysky468RAxExC8j1fIbVsVobg1eZYYl++S0tWc9bkFY0MID/r5YGVlR4
        -----END PRIVATE KEY-----
        """
    /// RSA 2048 private key (RS256).
    package static let rsa2048 = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDQZUrB/YViN6M1
        Jkz/WmOht653G1LrXIeIqd4lH+F1JzZYoiR8/z9WqKsQZ+QstI1Nr7rKeJrD4wrc
        Tqpoorln5PzDaOflK5IpghE8mg13KAXUYbKwj8wvfegbwjpzN3Ew5flTMivo//5d
        EXjXXScOUKbi4FNWBMxhx/oM6/aYQM5bH8kGHfH4CIzj0L9TlOXtnnHMAZMHO+fa
        Yss9VdIOqKbMdSNHTWwAu++lBIwJSjdW0YA+LVIFm/LnFzjxPWOGQVtKjNzL++hk
        7fouBDE11Yvtb/Y/wSdm5YtLRedA13X6uI6Etf+uYFM75tqMQTRa5ARD3GXPwIx6
        SMLZXO6FAgMBAAECggEAV+Ce6bbyrDwyApOoHHYNVYCTfX50NPPL44FeP+F1vWVP
        sYiOQneQSgbOPBjTS1bHz16vMfoxqTDwv34ctgsIjBsvy2dNgoIhHIfQpPGBhCHI
        c4rPQ00gGVbKrgn1g+h5Ptl7je22PobUyII5pveNJKg1964I9lkHpqQheZl3XzQR
        YW1M5t9r6U2h44dKi4Rq9AX1jixZmWyzJmwB1xJ17SQw1UW3gzB23VdrCILmEKib
        k++yrCwF4uj2ExkuzWPf4y64MrZcI9F3GipDJBbQRAIk4QfmXFCLw8lO0ADTEYQ6
        pb+a3lqsL9rjANWUzNYegyFFpm4T5ORp5QDX/xLLcQKBgQD6YfkgAr0LpV21+QCP
        028YkvY5R1yPR6EB5nJHkjbI3LxnLdHT3nJA76A3C3Am0YPgx8OYVoQ489QjR6aP
        KIgA5HKeGbB/WniEflsFBF3UyK+whUxzJ8OaGc1DlACp8ntmJJaKLcXUgmjvXgc/
        yOBqNW8Ujt4dCbXw57VOyuQD+wKBgQDVEiyRL7pk7T0YfZHXzo/Jyv5kRtKEmk7v
        HPcR/30Hymnzkrhi2qV/DK2Fipeh10OAWYTu8juWPqmahm+lKmSPgxp7ORmWX7Z/
        GeFGnuelNagzo04qde4jGpTdnuSTlMRdaElclPzkMQ0dIocITo9CoaksjQ10W4xE
        jwfT82XPfwKBgGpyOI2JXIGU/jAc+kYrJ3IVGKTlV856L1M1e6Q93xip71cWPbyL
        N5uvxDdin32BWUW458jeDzx/PNL65S67loZ6mNfqKAUcm1wIs/2AC7wozbiIEyZp
        41iiW4e9ZkLaGegk6fM43oAoKSCKox5U8kN1EBJ3YqqJtFYEzCoBS8r9AoGBALbM
        qtO84Otp5fq28IL3wsDbmTkq0b3WLVZTwVz9lqUycYf5Hpwg/c9sbwqdBs5gwpbB
        Np1R0PFrvVLHd815+2BsmDGToXIzl3ygFXfjKNXCnRYASzV+i9ouGf2xLmW3Qmjo
        6de2MukLdDbEwpjL3XjK/TstoJdtW4AOPicHMRe9AoGAK+OUNFul6uAP3Ec/qrI5
        Z+d4dtK8nwFpA1ld3ZRHB/W6ohaVkduWIKQWIiR3XM2vCWxeiywx/Tz8jdOE2tH+
        qmFOfHwfcQlKle3EPF1x62RLoK2pzYqcPb5zxJ4k0gD4YhDwU7yEiG1Uj2NIupkK
        ggMKZMtjK63SXd43VbufzuM=
        -----END PRIVATE KEY-----
        """
    /// EC P-384: not ES256's curve.
    package static let p384 = """
        -----BEGIN PRIVATE KEY-----
        MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAgxfKV/vrBfgx7wR/q
        RA5K0HMls8Q44DjRgtbdewiF4WKWeBc+w43PTsunOw3GA2ChZANiAASbBjMmHKMr
        7m43ik/vudjivdxAT5kSzVQ5hFEgC9AdWTCj9Vc1ae4a9RzsiFKk0oj7IKG18Si4
        7AhqGeSsLwkuMR8vhqwk/JWcQbsMG70d7/hbdJI9wKWLfLbYDzGOmU4=
        -----END PRIVATE KEY-----
        """
    /// RSA 1024: too short.
    package static let rsa1024 = """
        -----BEGIN PRIVATE KEY-----
        MIICeQIBADANBgkqhkiG9w0BAQEFAASCAmMwggJfAgEAAoGBANB2FD4YSLasTsAa
        hB8W3iBEj2juliHy9wJMO+waObyMtha8PZTKdtZNJybdLuHpxxA8XtnkdgeujPPP
        +NAKegfT3fJMdnJP4wbjRaa8UMQlGnwNCRnND088Hv/yS7tMRD00vwCZbW/o60qR
        AYBaXo/6EosiwxoTrOfCOYafPeNxAgMBAAECgYEAgJtYgbaZpZlIPFwfhs6k22Nw
        1lvbY7ZxjYlarp6/YAOvkvcvRsxh5HRU4zUx505C8VFNcz/vUW3up7x21GKiRXS+
        HhnhotC4ZjdvPf791lyMB5yZ5y3OtHvepck1Q+0vIfzj8bL3EMAVlufNkdkg7e7I
        EsLEGJhBAlYc7ffYeMECQQDwNEZO2eIkpHJWhrbeBwOUNjIOUBJYf1qJTHeol4/2
        +CN3JphlhrLKsO/pM9t9bm/n9h8v9+GM8O6kIMEnEnHbAkEA3ittO07715iY6DDF
        Os6HxNi2vi5rMVv4rw3jHAvRJ8qjCQfaOrwQwGDoTDHGQGcdcEmYJoSJ5eaoOvk9
        SLe/owJBAI+WMBEindRZmR+wF9BRUQpf+zwjEVRljLFWTJEzSJPRcSHgqGjIREh1
        zHQS07n/MlXvAmWiP+oIfB8QlWXN2NECQQCNDBb6C0f59UhGSQg+MHajs045aXDm
        UlSMlo1z9dCgqZZeGl0i4tjjueJg1UzfAFgBPMfa1FRT3984KZoNu5JvAkEA70h5
        J/t2s9BjNoyWFNVj2K36IrEhGewTw2EHfBCr5Ki7Ni8zKtDMBnZHEkyUs50ao/9k
        9x9Zl1KSMkFumGMOZA==
        -----END PRIVATE KEY-----
        """
    /// Ed448: not supported.
    package static let ed448 = """
        -----BEGIN PRIVATE KEY-----
        MEcCAQAwBQYDK2VxBDsEOVx9nD2cru0vs3ywb3gtPkxMU9obwCuZRHjU5tImeUgi
        Hir+k+pDQ7iWldZlHr1Y4T7XIfow403w4g==
        -----END PRIVATE KEY-----
        """
    /// RFC 8037 A.1's Ed25519 key.
    package static let rfc8037Ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----
        """
    /// RFC 7638 §3.1's RSA public key.
    package static let rfc7638RSAPublic = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0vx7agoebGcQSuuPiLJX
        ZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS
        oc/BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ/2W+5JsGY4Hc5n9yBXArwl93lqt
        7/RN5w6Cf0h4QyQ5v+65YGjQR0/FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0
        zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt+bFTWhAI4vMQFh6WeZu0f
        M4lFd2NcRwr3XPksINHaQ+G/xBniIqbw0Ls1jF44+csFCur+kEgU8awapJzKnqDK
        gwIDAQAB
        -----END PUBLIC KEY-----
        """
    /// ed25519Other's public key.
    package static let ed25519OtherPublic = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEARxAbARl2aepYRhay9pTp6SUpWIjtVEwbuQN0/q2MJlU=
        -----END PUBLIC KEY-----
        """
    /// rsa2048's public key.
    package static let rsa2048Public = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0GVKwf2FYjejNSZM/1pj
        obeudxtS61yHiKneJR/hdSc2WKIkfP8/VqirEGfkLLSNTa+6yniaw+MK3E6qaKK5
        Z+T8w2jn5SuSKYIRPJoNdygF1GGysI/ML33oG8I6czdxMOX5UzIr6P/+XRF4110n
        DlCm4uBTVgTMYcf6DOv2mEDOWx/JBh3x+AiM49C/U5Tl7Z5xzAGTBzvn2mLLPVXS
        DqimzHUjR01sALvvpQSMCUo3VtGAPi1SBZvy5xc48T1jhkFbSozcy/voZO36LgQx
        NdWL7W/2P8EnZuWLS0XnQNd1+riOhLX/rmBTO+bajEE0WuQEQ9xlz8CMekjC2Vzu
        hQIDAQAB
        -----END PUBLIC KEY-----
        """
    /// An Ed25519 key encrypted with a passphrase: never prompted for, refused.
    package static let ed25519Encrypted = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiLDty88FTnqgICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEJ5uy8Vobt7ga3Yy57/MqywEQOy2
        Hz99bwBLeEeM+2zcrrwBEpNx0UlfJ1NpT2mLXSvExls1yzEAywnpsHjNEOmhnkLc
        wiCTlDM9RBmy015Z3xk=
        -----END ENCRYPTED PRIVATE KEY-----
        """
}
