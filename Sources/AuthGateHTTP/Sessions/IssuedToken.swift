/// A token just signed, with the CSRF value it carries (cookie mode), which
/// its CSRF cookie repeats.
struct IssuedToken {
    let text: String
    let csrf: String?
}
