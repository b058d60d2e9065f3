import Logging

/// The one place a thrown error becomes a response. Each error type says
/// its own status, body and headers (`HTTPError`); one that does not is an
/// `UnexpectedError` (500). Handlers throw; none builds an error body.
public enum ErrorResponse {
    /// `logger` is the request's own (`Request.logger`), so whatever is
    /// logged carries the request id.
    public static func response(for error: any Error, logger: Logger) -> Response {
        let answer = error as? any HTTPError ?? UnexpectedError(error)
        if let entry = answer.logEntry {
            logger.log(level: entry.level, "\(entry.message)", metadata: ["error": "\(entry.detail)"])
        }
        return .json(answer.httpStatus, answer.httpBody, headers: answer.httpHeaders)
    }
}
