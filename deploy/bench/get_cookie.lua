-- GET with the access token from $TOKEN in Flask-JWT-Extended's access cookie.
wrk.headers["Cookie"] = "access_token_cookie=" .. os.getenv("TOKEN")
wrk.headers["Accept"] = "text/html"
