import Logging
import AuthGateCore

/// Runs one request through the contract's checks in order: route (404,
/// 405), body size (413), media type (415), then the handler. Every error
/// becomes JSON here; nothing thrown escapes. A HEAD request gets the
/// head its GET would get, without the body.
public enum Dispatcher {
    /// Largest accepted body: 65,536 bytes pass, 65,537 do not.
    public static let maxBodyBytes = 65_536

    /// `declaredLength` is CONTENT_LENGTH, checked before the body is read.
    /// An error thrown here is answered by `errorResponse(for:to:)`.
    public static func checkBeforeBody(
        method: String, path: String, declaredLength: Int?,
        parameter: (String) -> String? = { _ in nil }, router: Router = Routes.router
    ) throws -> Route {
        let route = try router.route(method: method, path: path, parameter: parameter)
        if let declaredLength, declaredLength > maxBodyBytes { throw APIError.payloadTooLarge }
        return route
    }

    public static func respond(to request: Request, context: Context, router: Router = Routes.router) -> Response {
        do {
            let route = try checkBeforeBody(
                method: request.method, path: request.path,
                declaredLength: request.body.count, parameter: { request.parameters[$0] }, router: router)
            return respond(to: request, with: route, context: context)
        } catch {
            return errorResponse(for: error, to: request)
        }
    }

    /// The rest of the checks once `route` was found: body size as read,
    /// media type (415), then the handler itself.
    public static func respond(to request: Request, with route: Route, context: Context) -> Response {
        do {
            if request.body.count > maxBodyBytes { throw APIError.payloadTooLarge }
            if request.method == "POST", !request.body.isEmpty, request.mediaType != route.body.mediaType {
                throw route.body == .json ? APIError.unsupportedMediaType : APIError.unsupportedFormMediaType
            }
            return try route.handler(request, context).answering(request.method)
        } catch {
            return errorResponse(for: error, to: request)
        }
    }

    /// The JSON answer to `error` for `request` (no body for HEAD), logged
    /// through the request's logger.
    public static func errorResponse(for error: any Error, to request: Request) -> Response {
        ErrorResponse.response(for: error, logger: request.logger).answering(request.method)
    }
}
