/// An `application/x-www-form-urlencoded` body (an HTML form), decoded as
/// Werkzeug's `request.form` does: `+` is a space, `%XX` a byte, the first
/// of repeated fields wins.
struct FormBody {
    let fields: [(name: String, value: String)]

    init(_ request: Request) {
        fields =
            request.mediaType == "application/x-www-form-urlencoded"
            ? QueryString.parse(String(decoding: request.body, as: UTF8.self)) : []
    }

    func value(_ name: String) -> String? {
        fields.first { $0.name.utf8.elementsEqual(name.utf8) }?.value
    }
}
