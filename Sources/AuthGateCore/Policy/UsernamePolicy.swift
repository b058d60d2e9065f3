/// `AUTHGATE_USERNAME_POLICY`: which new usernames registration refuses as
/// taken. `exact` (the default, as Flask): only the same bytes. `caseless`:
/// also a name whose `UsernameFold` equals an existing user's, so
/// `ADMIN` or `ａｄｍｉｎ` cannot register beside `admin`
/// (docs/registration.md). Existing rows are never rewritten.
public enum UsernamePolicy: String, Sendable, Equatable, CaseIterable {
    case exact
    case caseless
}
