/// The route table of shared/API.md (v1.1, and v1.2's forward auth). Every auth route answers under both
/// `/auth` and `/api/auth`.
public enum Routes {
    public static let authPrefixes = ["/auth", "/api/auth"]

    public static let table: [Route] = {
        var rows: [Route] = []
        for prefix in authPrefixes {
            rows.append(Route(method: "POST", path: prefix + "/register", handler: RegisterHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/login", handler: LoginHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/refresh", handler: RefreshHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/refresh", handler: RefreshHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/whoami", handler: WhoAmIHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/logout", handler: LogoutHandler.handle))
            rows.append(Route(method: "POST", path: prefix + "/logout", handler: LogoutHandler.handle))
            rows.append(Route(method: "GET", path: prefix + "/verify", handler: VerifyHandler.handle))
        }
        rows.append(Route(method: "GET", path: "/api/users/all", handler: UsersListHandler.handle))
        rows.append(Route(method: "GET", path: "/healthz", handler: HealthHandler.handle))
        rows.append(Route(method: "GET", path: "/livez", handler: LivenessHandler.handle))
        rows.append(Route(method: "GET", path: "/.well-known/jwks.json", handler: JWKSHandler.handle))
        return rows
    }()

    public static let router = Router(table)
}
